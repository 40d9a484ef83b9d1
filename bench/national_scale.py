"""Village certification at national scale: a national dataset made in SQL, pages timed.

PostgreSQL, database `sadar_bench` (kept between runs and reused when it holds the same dataset;
--fresh drops and rebuilds it): schema, regions and content by learning.cli.run_setup, the work
area set to every regency (a national office), then, with INSERT ... SELECT over generate_series,
keys and secondary indexes of the loaded tables dropped first and rebuilt after, VACUUM ANALYZE:
  500 officers, 60% certified (an exam attempt and an officer_certification each), 20 villages each
  20,000 events over the villages (skewed: a few villages hold many) in the past 18 months
  1,000,000 villagers (user_account + villager_profile), one participation each (~50 an event)
  2,000,000 quiz attempts, a pre-test and a post-test per participation (items as the app draws
  them), and answers for 1% of them only: progress never reads answers
  8,000 designated villages; certificates for half the villages that meet every criterion
Village progress is then computed by the app itself (learning.villages.progress.refresh_all, its
SQL aggregation). The pages are timed with the Flask test client, logged in as an admin, each 3
warm-ups then --requests requests: GET /healthz (the baseline), the dashboard (first page, and
one regency), a village page, the CSV export of one regency, and the public verification page
(without logging in, as a citizen who scanned the certificate's QR code).

SQLite: the same on a fresh file for the office's own work area (15.05, 15.06, 15.07: 382
villages) with a proportional dataset (5 officers, 300 events, 15,000 participations), generated
with recursive CTEs.

    .venv/bin/python bench/national_scale.py [--fresh] [--scale 1.0] [--sqlite-only] [--pg-only]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/sadar_bench] [--drop]

Never in CI: it refuses to run when CI is set, and checks free disk before generating. Results
go to stdout and bench/results/national_scale.json; query plans and profiles of pages that miss
their target to bench/results/national_scale_plans.txt; progress to stderr.
"""

import argparse
import cProfile
import faulthandler
import gc
import io
import json
import logging
import os
import platform
import pstats
import random
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import psycopg
import sqlalchemy
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from learning import create_app
from learning.accounts import services as accounts
from learning.accounts.models import Role, User
from learning.cli import run_setup
from learning.config import Defaults
from learning.core.database import write_intent
from learning.core.time import today_local
from learning.events.rules import CODE_ALPHABET
from learning.extensions import db
from learning.villages import progress
from learning.villages import services as villages
from quizzes.models import Quiz
from quizzes.services import draw_items

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/sadar_bench"
BENCH_DB = "sadar_bench"  # the only database this bench creates, fills and drops
RESULTS = Path(__file__).resolve().parent / "results"
WARMUP = 3
TARGETS_MS = {"dashboard": 300.0, "verify": 50.0}
EXPLAIN_FROM_MS = 300.0  # pages without a target are analysed too when this slow at p95
MIN_FREE_BYTES = 5 * 1024**3  # at --scale 1; more for a larger scale
VARIANTS = 16  # item draws per quiz (attempts pick one): the same JSON the app stores
OFFICER_VILLAGES = 20
HISTORY_DAYS = 548  # events over the past 18 months
ADMIN_USERNAME = "admin.bench"
PASSED_SNAPSHOT = json.dumps(
    [
        {"key": key, "value": value, "target": target, "met": True}
        for key, value, target in (
            ("officers", 1, 1),
            ("events", 2, 2),
            ("passed", 30, 30),
            ("gain", 0.35, 0.3),
            ("topics", 5, 5),
        )
    ]
)
# Loaded in bulk: their keys, indexes and foreign keys (and those pointing at them) are dropped
# before loading and rebuilt after.
BULK_TABLES = (
    "user_account",
    "villager_profile",
    "event",
    "event_village",
    "event_officer",
    "officer_village",
    "participation",
    "quiz_attempt",
    "quiz_answer",
    "officer_certification",
    "village_designation",
)


@dataclass(frozen=True)
class Dataset:
    officers: int
    events: int
    participations: int  # one villager each
    designations: int
    answer_share: int = 100  # answers for one attempt in this many

    def scaled(self, scale: float) -> "Dataset":
        if scale == 1:
            return self
        events = max(10, round(self.events * scale))
        return Dataset(
            officers=max(5, round(self.officers * scale)),
            events=events,
            participations=max(events, round(self.participations * scale)),
            designations=max(1, round(self.designations * scale)),
            answer_share=self.answer_share,
        )


NATIONAL = Dataset(officers=500, events=20_000, participations=1_000_000, designations=8_000)
WORK_AREA = Dataset(officers=5, events=300, participations=15_000, designations=120)


# ---- the two SQL dialects -------------------------------------------------------------------


class Postgres:
    name = "postgresql"
    param = "%s"

    def __init__(self, today: date):
        self.today = f"DATE '{today.isoformat()}'"

    @staticmethod
    def series(n: int) -> str:
        return f"generate_series(1, {n}) AS g(n)"

    @staticmethod
    def rand() -> str:
        return "random()"

    @staticmethod
    def floor(x: str) -> str:
        return f"CAST(floor({x}) AS integer)"

    @staticmethod
    def uid(kind: str, n: str) -> str:
        """A stable, random-looking UUID for row n of a kind (md5-based, as uuid4s scatter)."""
        return f"CAST(md5('{kind}:' || ({n})) AS uuid)"

    def uid_text(self, kind: str, n: str) -> str:  # str(uuid): the form of attempt contexts
        return f"CAST({self.uid(kind, n)} AS text)"

    @staticmethod
    def hexn(kind: str, n: str, width: int) -> str:
        parts = [f"md5('{kind}{i}:' || ({n}))" for i in range(-(-width // 32))]
        return f"substr({' || '.join(parts)}, 1, {width})"

    @staticmethod
    def shift(day: str, days: str) -> str:
        """The date `days` (a non-negative integer expression) before `day`."""
        return f"({day} - CAST({days} AS integer))"

    @staticmethod
    def at(day: str, hour: int) -> str:
        return f"({day} + time '{hour:02d}:00')"

    @staticmethod
    def json(value: str) -> str:
        return f"CAST({value} AS json)"

    @staticmethod
    def least(a: str, b: str) -> str:
        return f"least({a}, {b})"

    @staticmethod
    def year(day: str) -> str:
        return f"CAST(extract(year FROM {day}) AS integer)"

    @staticmethod
    def valid_until(day: str, months: int) -> str:
        return f"CAST({day} + interval '{months} months' - interval '1 day' AS date)"

    @staticmethod
    def shuffle(column: str) -> str:
        return f"md5({column})"

    json_type = "json"
    uuid_type = "uuid"

    @staticmethod
    def uuid_value(value):
        return value


class Sqlite(Postgres):
    name = "sqlite"
    param = "?"
    KINDS: dict[str, int] = {}

    def __init__(self, today: date):
        self.today = f"'{today.isoformat()}'"

    @staticmethod
    def series(n: int) -> str:
        return (
            "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s"
            f" WHERE n < {n}) SELECT n FROM s) AS g"
        )

    @staticmethod
    def rand() -> str:
        return "((random() & 1073741823) / 1073741824.0)"

    @staticmethod
    def floor(x: str) -> str:  # only ever of non-negative values
        return f"CAST({x} AS INTEGER)"

    def kind(self, kind: str) -> int:
        return self.KINDS.setdefault(kind, len(self.KINDS) + 1)

    def uid(self, kind: str, n: str) -> str:
        """32 hex digits, as SQLAlchemy stores a Uuid on SQLite: kind, then row number."""
        return f"printf('%08x%024x', {self.kind(kind)}, {n})"

    def uid_text(self, kind: str, n: str) -> str:
        h = self.uid(kind, n)
        return " || '-' || ".join(
            f"substr({h}, {start}, {length})"
            for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
        )

    def hexn(self, kind: str, n: str, width: int) -> str:
        return f"printf('%04x%0{width - 4}x', {self.kind(kind)}, {n})"

    @staticmethod
    def shift(day: str, days: str) -> str:
        return f"date({day}, '-' || ({days}) || ' days')"

    @staticmethod
    def at(day: str, hour: int) -> str:
        return f"({day} || ' {hour:02d}:00:00.000000')"

    @staticmethod
    def json(value: str) -> str:
        return value

    @staticmethod
    def least(a: str, b: str) -> str:
        return f"min({a}, {b})"

    @staticmethod
    def year(day: str) -> str:
        return f"CAST(strftime('%Y', {day}) AS INTEGER)"

    @staticmethod
    def valid_until(day: str, months: int) -> str:
        return f"date({day}, '+{months} months', '-1 day')"

    @staticmethod
    def shuffle(column: str) -> str:
        return "random()"

    json_type = "TEXT"
    uuid_type = "CHAR(32)"

    @staticmethod
    def uuid_value(value):
        return value.hex


def code_of(n: str, length: int) -> str:
    """A join or card code made of n's digits in the app's alphabet: unique for each n."""
    base = len(CODE_ALPHABET)
    return " || ".join(
        f"substr('{CODE_ALPHABET}', CAST((({n}) / {base**k}) % {base} AS INTEGER) + 1, 1)"
        for k in range(length)
    )


# ---- a raw connection for loading -----------------------------------------------------------


class Loader:
    """A plain DBAPI connection that runs the generation steps, each a timed transaction."""

    def __init__(self, dialect, url: str):
        self.d = dialect
        parsed = make_url(url)
        if dialect.name == "sqlite":
            self.conn = sqlite3.connect(parsed.database, isolation_level=None)
            # Foreign keys are checked once after loading (PRAGMA foreign_key_check).
            for pragma in ("foreign_keys=OFF", "synchronous=NORMAL", "temp_store=MEMORY"):
                self.conn.execute(f"PRAGMA {pragma}")
        else:
            self.conn = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(False))
            for setting in (
                "synchronous_commit = off",
                "work_mem = '256MB'",
                "maintenance_work_mem = '1GB'",
                "temp_buffers = '1GB'",
            ):
                self.conn.execute(f"SET {setting}")
            self.conn.commit()

    def run(self, sql: str, params=None) -> int:
        cur = self.conn.cursor()
        try:
            cur.execute(sql, params) if params is not None else cur.execute(sql)
            return cur.rowcount
        finally:
            cur.close()

    def many(self, sql: str, rows) -> None:
        cur = self.conn.cursor()
        cur.executemany(sql, rows)
        cur.close()

    def rows(self, sql: str) -> list:
        cur = self.conn.cursor()
        try:
            cur.execute(sql)
            return cur.fetchall()
        finally:
            cur.close()

    def begin(self) -> None:
        if self.d.name == "sqlite":
            self.conn.execute("BEGIN")

    def commit(self) -> None:
        if self.d.name == "sqlite":
            self.conn.execute("COMMIT")
        else:
            self.conn.commit()

    def step(self, steps: list, name: str, statements, work=None) -> None:
        """Run statements (and `work()`) in one transaction; record the rows inserted and time."""
        gc.collect()
        start = time.perf_counter()
        self.begin()
        rows = 0
        for sql in statements:
            count = self.run(sql)
            if sql.lstrip().upper().startswith("INSERT"):
                rows += max(count, 0)
        if work is not None:
            rows += work() or 0
        self.commit()
        elapsed = time.perf_counter() - start
        steps.append({"step": name, "rows": rows or None, "seconds": elapsed})
        print(f"  {name}: {rows:,} rows, {elapsed:.1f} s", file=sys.stderr)

    def autocommit(self, sql: str) -> None:
        """VACUUM and friends, outside a transaction."""
        if self.d.name == "sqlite":
            self.conn.execute(sql)
            return
        self.conn.commit()  # end the transaction the last read began
        self.conn.autocommit = True
        try:
            self.conn.execute(sql)
        finally:
            self.conn.autocommit = False

    def close(self) -> None:
        self.conn.close()


def repr_sql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quoted(names) -> str:
    return ", ".join(f"'{n}'" for n in names)


class Keys:
    """The loaded tables' keys, indexes and foreign keys: dropped, then rebuilt as they were."""

    def __init__(self, loader: Loader):
        self.loader = loader
        self.pg = loader.d.name == "postgresql"
        self.before = self.capture()

    def capture(self) -> dict[str, list[tuple]]:
        tables = quoted(BULK_TABLES)
        if not self.pg:
            indexes = self.loader.rows(
                "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index'"
                f" AND sql IS NOT NULL AND tbl_name IN ({tables}) ORDER BY name"
            )
            return {"keys": [], "indexes": indexes, "foreign": []}
        constraints = (
            "SELECT CAST(c.conrelid::regclass AS text), c.conname, pg_get_constraintdef(c.oid)"
            " FROM pg_constraint c WHERE c.connamespace = 'public'::regnamespace AND "
        )
        keys = self.loader.rows(
            constraints + "c.contype IN ('p', 'u')"
            f" AND CAST(c.conrelid::regclass AS text) IN ({tables}) ORDER BY 2"
        )
        foreign = self.loader.rows(
            constraints + f"c.contype = 'f' AND (CAST(c.conrelid::regclass AS text) IN ({tables})"
            f" OR CAST(c.confrelid::regclass AS text) IN ({tables})) ORDER BY 2"
        )
        indexes = self.loader.rows(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            f" AND tablename IN ({tables}) AND indexname NOT IN"
            " (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u')) ORDER BY 2"
        )
        return {"keys": keys, "indexes": indexes, "foreign": foreign}

    def drop(self) -> int:
        b = self.before
        for table, name, _ in b["foreign"] + b["keys"]:
            self.loader.run(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for _table, name, _ in b["indexes"]:
            self.loader.run(f'DROP INDEX "{name}"')
        return 0

    def restore_keys(self) -> int:
        for table, name, definition in self.before["keys"]:
            self.loader.run(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        return 0

    def restore_indexes(self) -> int:
        for _table, _name, definition in self.before["indexes"]:
            self.loader.run(definition)
        return 0

    def restore_foreign(self) -> int:
        """PostgreSQL: add each foreign key back (validated in one pass over the table).

        SQLite: loading ran with foreign_keys=OFF; check every key now.
        """
        if not self.pg:
            problems = self.loader.rows("PRAGMA foreign_key_check")
            if problems:
                raise RuntimeError(f"foreign keys broken after loading: {problems[:5]}")
            return 0
        for table, name, definition in self.before["foreign"]:
            self.loader.run(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        return 0

    def check(self) -> dict[str, int]:
        after = self.capture()
        if after != self.before:
            raise RuntimeError("the rebuilt keys and indexes differ from the migrated schema")
        return {kind: len(items) for kind, items in after.items()}


# ---- generation -----------------------------------------------------------------------------


def make_app(url: str):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-only-secret",
            "DEVICE_ID": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "REGIONS_DATA_DIR": Defaults.REGIONS_DATA_DIR,
            "SERVER_NAME": None,
            "PUBLIC_URL": "http://127.0.0.1:5000",
            "REDIS_URL": None,
        }
    )


def timed(fn):
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def prepare_app_side(app) -> dict:
    """Schema, regions and content by the app's own setup; an admin; what the SQL needs."""
    with app.app_context():
        logging.disable(logging.INFO)  # alembic's per-revision INFO lines
        try:
            elapsed, _ = timed(lambda: run_setup(echo=lambda *_: None))
        finally:
            logging.disable(logging.NOTSET)
        with write_intent():
            accounts.create_user(
                username=ADMIN_USERNAME,
                display_name="Admin Bench",
                role=Role.ADMIN,
                password=secrets.token_urlsafe(16),
                must_change_password=False,
            )
            db.session.commit()
        quizzes = {}
        for slug in ("ujian-akhir-pimpasa", "pre-test-warga", "post-test-warga"):
            quiz = db.session.scalars(select(Quiz).where(Quiz.slug == slug)).one()
            draws = [draw_items(quiz, random.Random(k)) for k in range(VARIANTS)]
            quizzes[quiz.kind] = (quiz.id, draws)
        lessons = db.session.execute(
            text("SELECT slug, topic FROM lesson WHERE track = 'warga' ORDER BY \"order\", slug")
        ).all()
        password_hash = db.session.scalar(
            select(User.password_hash).where(User.username == ADMIN_USERNAME)
        )
        db.session.remove()
        db.engine.dispose()
    return {
        "setup_seconds": elapsed,
        "quizzes": quizzes,
        "lessons": lessons,
        "password_hash": password_hash,
    }


def lesson_variants(lessons) -> list[list[str]]:
    """Which lessons an event teaches: all of them, or all but one topic's (every topic once)."""
    topics = sorted({topic for _slug, topic in lessons})
    full = [slug for slug, _topic in lessons]
    partial = [[slug for slug, topic in lessons if topic != drop] for drop in topics]
    return [full, full, full] + partial


def helper_tables(loader: Loader, side: dict) -> None:
    """Temporary tables the generation reads: ranked villages, lesson sets, drawn items."""
    d = loader.d
    loader.run(
        "CREATE TEMP TABLE bench_village AS SELECT CAST(row_number() OVER"
        f" (ORDER BY {d.shuffle('v.code')}) - 1 AS INTEGER) AS rank, v.code AS code"
        " FROM village v JOIN district dd ON dd.code = v.district_code"
        " JOIN office_regency o ON o.regency_code = dd.regency_code"
    )
    loader.run("CREATE UNIQUE INDEX bench_village_rank ON bench_village (rank)")
    loader.run(f"CREATE TEMP TABLE bench_lessons (k INTEGER PRIMARY KEY, slugs {d.json_type})")
    variants = lesson_variants(side["lessons"])
    loader.many(
        f"INSERT INTO bench_lessons (k, slugs) VALUES ({d.param}, {d.param})",
        [(k, json.dumps(slugs)) for k, slugs in enumerate(variants)],
    )
    loader.run(
        "CREATE TEMP TABLE bench_items (quiz_id INTEGER, k INTEGER, n INTEGER,"
        f" items {d.json_type}, PRIMARY KEY (quiz_id, k))"
    )
    loader.run(
        "CREATE TEMP TABLE bench_item_q (quiz_id INTEGER, k INTEGER, pos INTEGER,"
        f" version_id {d.uuid_type}, choice {d.json_type}, PRIMARY KEY (quiz_id, k, pos))"
    )
    items, questions = [], []
    for quiz_id, draws in side["quizzes"].values():
        for k, drawn in enumerate(draws):
            items.append((quiz_id, k, len(drawn), json.dumps(drawn)))
            questions += [
                (
                    quiz_id,
                    k,
                    pos,
                    d.uuid_value(uuid.UUID(item["v"])),
                    json.dumps(item["o"][:1]),
                )
                for pos, item in enumerate(drawn)
            ]
    p = d.param
    loader.many(f"INSERT INTO bench_items VALUES ({p}, {p}, {p}, {p})", items)
    loader.many(f"INSERT INTO bench_item_q VALUES ({p}, {p}, {p}, {p}, {p})", questions)


def plan_tables(loader: Loader, ds: Dataset, villages: int) -> None:
    """Temporary tables that decide the data: each event's village and day, each participant."""
    d, o = loader.d, ds.officers
    covered = min(villages, o * OFFICER_VILLAGES)
    loader.run(
        f"CREATE TEMP TABLE bench_event0 AS SELECT g.n AS e, {d.rand()} AS r1, {d.rand()} AS r2"
        f" FROM {d.series(ds.events)}"
    )
    # rank = N * r^2: the first villages of the (shuffled) ranking hold many events, most none.
    loader.run(
        "CREATE TEMP TABLE bench_event AS SELECT x.e AS e, bv.rank AS rank, bv.code AS code,"
        f" {d.shift(d.today, d.floor(f'x.r2 * {HISTORY_DAYS}'))} AS held_on,"
        " x.e % 5 AS quality,"
        f" CASE WHEN bv.rank < {covered} THEN bv.rank % {o} + 1 ELSE x.e % {o} + 1 END AS officer"
        f" FROM bench_event0 x JOIN bench_village bv"
        f" ON bv.rank = {d.floor(f'{villages} * x.r1 * x.r1')}"
    )
    loader.run("CREATE UNIQUE INDEX bench_event_e ON bench_event (e)")
    loader.run(
        f"CREATE TEMP TABLE bench_part0 AS SELECT g.n AS p,"
        f" {d.floor(f'{d.rand()} * {ds.events}')} + 1 AS e,"
        f" {d.floor(f'{d.rand()} * 20')} AS r_age, {d.floor(f'{d.rand()} * 2')} AS r_gender,"
        f" {d.floor(f'{d.rand()} * 7')} AS r_pre, {d.floor(f'{d.rand()} * 6')} AS r_post,"
        f" {d.floor(f'{d.rand()} * 100')} AS r_misc FROM {d.series(ds.participations)}"
    )
    age = (
        "CASE WHEN r_age = 0 THEN '<18' WHEN r_age < 5 THEN '18-25' WHEN r_age < 10 THEN '26-35'"
        " WHEN r_age < 15 THEN '36-45' WHEN r_age < 18 THEN '46-55' ELSE '>55' END"
    )
    loader.run(
        "CREATE TEMP TABLE bench_part AS SELECT x.p AS p, x.e AS e,"
        " CAST(row_number() OVER (PARTITION BY x.e ORDER BY x.p) AS INTEGER) AS num,"
        f" {age} AS age,"
        " CASE WHEN r_gender = 0 THEN 'perempuan' ELSE 'laki-laki' END AS gender,"
        # Under 18 without a guardian's consent: takes part, is not counted.
        " CASE WHEN r_age = 0 AND r_misc >= 50 THEN FALSE ELSE TRUE END AS counted,"
        " 2 + r_pre AS pre,"
        f" {d.least('10', '3 + r_post + (be.quality * 3) / 5')} AS post,"
        " CASE WHEN r_misc < 3 THEN FALSE ELSE TRUE END AS post_done,"
        " r_misc AS misc, be.held_on AS held_on, be.code AS code"
        " FROM bench_part0 x JOIN bench_event be ON be.e = x.e"
    )
    loader.run("CREATE UNIQUE INDEX bench_part_p ON bench_part (p)")
    if d.name == "postgresql":  # autovacuum never analyses temporary tables
        for table in ("bench_village", "bench_event", "bench_part", "bench_item_q", "bench_items"):
            loader.run(f"ANALYZE {table}")


def load_statements(d, ds: Dataset, side: dict, villages: int) -> list[tuple[str, list[str]]]:
    """The generation steps: (name, INSERT ... SELECT statements)."""
    o, today = ds.officers, d.today
    exam_id = side["quizzes"]["exam"][0]
    pre_id = side["quizzes"]["pretest"][0]
    post_id = side["quizzes"]["posttest"][0]
    covered = min(villages, o * OFFICER_VILLAGES)
    user_columns = (
        "id, origin_device, created_at, role, username, display_name, password_hash,"
        " is_active_account, must_change_password, session_token, pin_hash, last_login_at,"
        " deactivated_at"
    )
    attempt_columns = (
        "id, origin_device, created_at, quiz_id, user_id, token_hash, status, items,"
        " deadline_at, submitted_at, correct_count, total, score, passed, context"
    )
    pw = side["password_hash"]
    officers = [
        f"INSERT INTO user_account ({user_columns}) SELECT {d.uid('o', 'g.n')}, 'bench',"
        f" {d.at(d.shift(today, '700'), 2)}, 'officer', 'petugas.bench.' || g.n,"
        f" 'Petugas Bench ' || g.n, '{pw}', TRUE, FALSE, {d.hexn('so', 'g.n', 16)},"
        f" NULL, NULL, NULL FROM {d.series(o)}",
        # 60% certified: a passed final exam, then the certification that points at it.
        f"INSERT INTO quiz_attempt ({attempt_columns}) SELECT {d.uid('x', 'g.n')}, 'bench',"
        f" {d.at(d.shift(today, '600 + g.n % 60'), 2)}, {exam_id}, {d.uid('o', 'g.n')},"
        f" {d.hexn('xt', 'g.n', 64)}, 'submitted', iv.items, NULL,"
        f" {d.at(d.shift(today, '600 + g.n % 60'), 3)}, iv.n - g.n % 4, iv.n,"
        f" (iv.n - g.n % 4) * 100.0 / iv.n, TRUE, NULL"
        f" FROM {d.series(o)} JOIN bench_items iv"
        f" ON iv.quiz_id = {exam_id} AND iv.k = g.n % {VARIANTS} WHERE g.n % 5 < 3",
        "INSERT INTO officer_certification (user_id, certified_at, exam_attempt_id, exam_score)"
        f" SELECT user_id, submitted_at, id, score FROM quiz_attempt WHERE quiz_id = {exam_id}"
        " AND origin_device = 'bench'",
        "INSERT INTO officer_village (user_id, village_code)"
        f" SELECT {d.uid('o', f'bv.rank % {o} + 1')}, bv.code FROM bench_village bv"
        f" WHERE bv.rank < {covered}",
    ]
    villagers = [
        f"INSERT INTO user_account ({user_columns}) SELECT {d.uid('v', 'bp.p')}, 'bench',"
        f" {d.at('bp.held_on', 2)}, 'villager', NULL, 'Warga ' || bp.p, NULL, TRUE, FALSE,"
        f" {d.hexn('sv', 'bp.p', 16)}, NULL, NULL, NULL FROM bench_part bp"
    ]
    profiles = [
        "INSERT INTO villager_profile (id, origin_device, created_at, user_id, village_code,"
        " card_code, name_key, gender, age_group, phone, anonymised_at)"
        f" SELECT {d.uid('vp', 'bp.p')}, 'bench', {d.at('bp.held_on', 2)}, {d.uid('v', 'bp.p')},"
        f" bp.code, {code_of('bp.p', 8)}, 'warga ' || bp.p, bp.gender, bp.age, NULL, NULL"
        " FROM bench_part bp"
    ]
    events = [
        "INSERT INTO event (id, origin_device, created_at, title, village_code, held_on, place,"
        " lesson_slugs, pretest_slug, posttest_slug, join_code, status, paper_items, closed_at,"
        f" created_by_id) SELECT {d.uid('e', 'be.e')}, 'bench',"
        f" {d.at(d.shift('be.held_on', '7'), 3)}, 'Sosialisasi Desa Sadar Imigrasi ' || be.e,"
        " be.code, be.held_on, 'Balai desa', bl.slugs, 'pre-test-warga', 'post-test-warga',"
        f" {code_of('be.e', 6)},"
        f" CASE WHEN be.held_on >= {d.shift(today, '1')} THEN 'open' ELSE 'closed' END, NULL,"
        f" CASE WHEN be.held_on >= {d.shift(today, '1')} THEN NULL"
        f" ELSE {d.at('be.held_on', 7)} END, {d.uid('o', 'be.officer')}"
        f" FROM bench_event be JOIN bench_lessons bl ON bl.k = be.e % 8",
        f"INSERT INTO event_village (event_id, village_code) SELECT {d.uid('e', 'be.e')}, be.code"
        " FROM bench_event be",
        "INSERT INTO event_officer (event_id, user_id)"
        f" SELECT {d.uid('e', 'be.e')}, {d.uid('o', 'be.officer')} FROM bench_event be",
    ]
    participations = [
        "INSERT INTO participation (id, origin_device, created_at, event_id, user_id, number,"
        " age_group, gender, is_counted, registered_by, step, pretest_attempt_id,"
        " posttest_attempt_id, withdrawn_at)"
        f" SELECT {d.uid('p', 'bp.p')}, 'bench', {d.at('bp.held_on', 2)}, {d.uid('e', 'bp.e')},"
        f" {d.uid('v', 'bp.p')}, bp.num, bp.age, bp.gender, bp.counted,"
        " CASE WHEN bp.misc % 10 = 0 THEN 'officer' ELSE 'self' END,"
        " CASE WHEN bp.post_done THEN 'done' ELSE 'posttest' END,"
        f" {d.uid('a', '2 * bp.p - 1')}, {d.uid('a', '2 * bp.p')},"
        f" CASE WHEN bp.misc = 99 THEN {d.at('bp.held_on', 6)} END FROM bench_part bp"
    ]
    context = f"'event:' || {d.uid_text('e', 'bp.e')}"
    attempts = [
        f"INSERT INTO quiz_attempt ({attempt_columns}) SELECT {d.uid('a', '2 * bp.p - 1')},"
        f" 'bench', {d.at('bp.held_on', 2)}, {pre_id}, {d.uid('v', 'bp.p')},"
        f" {d.hexn('at', '2 * bp.p - 1', 64)}, 'submitted', iv.items, NULL,"
        f" {d.at('bp.held_on', 3)}, bp.pre, iv.n, bp.pre * 100.0 / iv.n,"
        f" bp.pre * 100.0 / iv.n >= 70, {context} FROM bench_part bp JOIN bench_items iv"
        f" ON iv.quiz_id = {pre_id} AND iv.k = (2 * bp.p - 1) % {VARIANTS}",
        f"INSERT INTO quiz_attempt ({attempt_columns}) SELECT {d.uid('a', '2 * bp.p')},"
        f" 'bench', {d.at('bp.held_on', 3)}, {post_id}, {d.uid('v', 'bp.p')},"
        f" {d.hexn('at', '2 * bp.p', 64)},"
        " CASE WHEN bp.post_done THEN 'submitted' ELSE 'closed' END, iv.items, NULL,"
        f" CASE WHEN bp.post_done THEN {d.at('bp.held_on', 4)} END,"
        " CASE WHEN bp.post_done THEN bp.post END, CASE WHEN bp.post_done THEN iv.n END,"
        " CASE WHEN bp.post_done THEN bp.post * 100.0 / iv.n END,"
        " CASE WHEN bp.post_done THEN bp.post * 100.0 / iv.n >= 70 END,"
        f" {context} FROM bench_part bp JOIN bench_items iv"
        f" ON iv.quiz_id = {post_id} AND iv.k = (2 * bp.p) % {VARIANTS}",
    ]
    share = ds.answer_share
    sampled = (
        f"(SELECT {share} * g.n - g.n % 2 AS a FROM {d.series(2 * ds.participations // share)})"
    )
    answers = [
        "INSERT INTO quiz_answer (id, origin_device, created_at, attempt_id, question_version_id,"
        " client_answer_id, choice_ids, is_correct, answered_at, source)"
        f" SELECT {d.uid('qa', 's.a * 32 + iq.pos')}, 'bench', {d.at('bp.held_on', 3)},"
        f" {d.uid('a', 's.a')}, iq.version_id, {d.uid('ca', 's.a * 32 + iq.pos')}, iq.choice,"
        " iq.pos < CASE WHEN s.a % 2 = 1 THEN bp.pre ELSE bp.post END,"
        f" {d.at('bp.held_on', 3)}, 'tablet' FROM {sampled} s"
        " JOIN bench_part bp ON bp.p = (s.a + 1) / 2"
        f" JOIN bench_item_q iq ON iq.quiz_id = CASE WHEN s.a % 2 = 1 THEN {pre_id}"
        f" ELSE {post_id} END AND iq.k = s.a % {VARIANTS}"
    ]
    decreed = d.shift(today, "560 + bv.rank % 60")
    designations = [
        "INSERT INTO village_designation (id, origin_device, created_at, village_code,"
        " decree_number, decree_date, adult_population, designated_by_name)"
        f" SELECT {d.uid('d', 'bv.rank')}, 'bench', {d.at(decreed, 2)},"
        f" bv.code, 'SK-BENCH/' || bv.rank, {decreed},"
        " CASE WHEN bv.rank % 4 = 0 THEN 400 + (bv.rank * 37) % 2000 END, 'Admin Bench'"
        f" FROM bench_village bv WHERE bv.rank < {ds.designations}"
    ]
    return [
        ("officers, exam attempts, certifications, villages", officers),
        ("villagers (user_account)", villagers),
        ("villager profiles", profiles),
        ("events, event villages, event officers", events),
        ("participations", participations),
        ("quiz attempts (pre- and post-tests)", attempts),
        (f"answers (1 attempt in {share})", answers),
        ("designations", designations),
    ]


def certificate_statements(d, hot_village: str, office_name: str) -> list[str]:
    """Certificates for every other village that meets all criteria (not the measured one)."""
    issued = d.shift(d.today, "x.i % 300")
    return [
        "INSERT INTO village_certificate (id, origin_device, created_at, number, year, sequence,"
        " village_code, verify_token, issued_on, valid_until, snapshot, override_reason,"
        " issued_by_name, office_name, signatory_name, signatory_nip, signatory_title, place)"
        f" SELECT {d.uid('c', 'x.i')}, 'bench', {d.at(issued, 3)},"
        f" 'BENCH/' || x.i || '/DSHK/' || {d.year(issued)}, {d.year(issued)}, x.i, x.code,"
        f" {d.hexn('ct', 'x.i', 24)}, {issued}, {d.valid_until(issued, 24)},"
        f" {d.json(repr_sql(PASSED_SNAPSHOT))}, NULL, 'Admin Bench', '{office_name}',"
        " 'Kepala Kantor Bench', '198001012005011001', 'Kepala Kantor', 'Kuala Tungkal'"
        " FROM (SELECT village_code AS code, row_number() OVER (ORDER BY village_code) AS i"
        " FROM village_progress WHERE status = 'memenuhi_syarat'"
        f" AND village_code <> '{hot_village}') x WHERE x.i % 2 = 0"
    ]


def schema_fingerprint() -> str:
    """The migrations a database was built with: a reused database must match them."""
    import hashlib

    from learning import MIGRATIONS_DIR

    digest = hashlib.sha256()
    for path in sorted(Path(MIGRATIONS_DIR, "versions").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def read_meta(url: str) -> dict | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            value = conn.execute(text("SELECT value FROM bench_meta WHERE key = 'run'")).scalar()
            return json.loads(value) if value else None
    except (ProgrammingError, OperationalError):
        return None
    finally:
        engine.dispose()


def write_meta(url: str, meta: dict) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS bench_meta"
                    " (key VARCHAR(40) PRIMARY KEY, value TEXT)"
                )
            )
            conn.execute(text("DELETE FROM bench_meta WHERE key = 'run'"))
            conn.execute(
                text("INSERT INTO bench_meta (key, value) VALUES ('run', :v)"),
                {"v": json.dumps(meta)},
            )
    finally:
        engine.dispose()


def generate(url: str, ds: Dataset, national: bool) -> dict:
    """Build the database at `url` (empty) and fill it; return what was made and the times."""
    pg = make_url(url).get_backend_name() == "postgresql"
    today = today_local()
    d = (Postgres if pg else Sqlite)(today)
    steps: list[dict] = []
    started = time.perf_counter()
    app = make_app(url)
    side = prepare_app_side(app)
    steps.append(
        {
            "step": "schema, regions, content (run_setup)",
            "rows": None,
            "seconds": side["setup_seconds"],
        }
    )
    print(f"  run_setup: {side['setup_seconds']:.1f} s", file=sys.stderr)

    loader = Loader(d, url)
    try:
        if national:
            loader.step(
                steps,
                "work area: every regency",
                [
                    "INSERT INTO office_regency (office_id, regency_code) SELECT o.id, r.code"
                    " FROM office o CROSS JOIN regency r WHERE NOT EXISTS (SELECT 1 FROM"
                    " office_regency x WHERE x.office_id = o.id AND x.regency_code = r.code)"
                ],
            )
        loader.step(steps, "plan (temporary tables)", [], lambda: helper_tables(loader, side))
        villages = loader.rows("SELECT count(*) FROM bench_village")[0][0]
        loader.step(
            steps, "plan: events and participants", [], lambda: plan_tables(loader, ds, villages)
        )
        keys = Keys(loader)
        loader.step(steps, "drop keys, indexes, foreign keys", [], keys.drop)
        for name, statements in load_statements(d, ds, side, villages):
            loader.step(steps, name, statements)
        loader.step(steps, "rebuild primary and unique keys", [], keys.restore_keys)
        loader.step(steps, "rebuild secondary indexes", [], keys.restore_indexes)
        loader.step(
            steps,
            "rebuild foreign keys (validated)" if pg else "check foreign keys",
            [],
            keys.restore_foreign,
        )
        rebuilt = keys.check()
        if pg:  # this server runs without autovacuum: statistics and visibility map by hand
            elapsed, _ = timed(lambda: loader.autocommit("VACUUM (ANALYZE)"))
            steps.append({"step": "VACUUM (ANALYZE)", "rows": None, "seconds": elapsed})
            print(f"  VACUUM (ANALYZE): {elapsed:.1f} s", file=sys.stderr)
        hot_village, hot_events = loader.rows(
            "SELECT village_code, count(*) FROM event_village GROUP BY village_code"
            " ORDER BY count(*) DESC, village_code LIMIT 1"
        )[0]
        regency, regency_villages = loader.rows(
            "SELECT dd.regency_code, count(*) FROM village v JOIN district dd"
            " ON dd.code = v.district_code"
            " JOIN office_regency o ON o.regency_code = dd.regency_code"
            " GROUP BY dd.regency_code ORDER BY count(*) DESC, dd.regency_code LIMIT 1"
        )[0]
        office_name = loader.rows("SELECT name FROM office ORDER BY id LIMIT 1")[0][0]
    finally:
        loader.close()

    # Progress as the app computes it: event summaries, then every village of the work area.
    with app.app_context():
        with write_intent():
            refresh, villages_done = timed(lambda: progress.refresh_all(db.session()))
            commit, _ = timed(db.session.commit)
        db.session.remove()
    refresh += commit
    print(f"  refresh_all: {refresh:.1f} s ({villages_done:,} villages)", file=sys.stderr)

    loader = Loader(d, url)
    try:
        loader.step(steps, "certificates", certificate_statements(d, hot_village, office_name))
        certified = [r[0] for r in loader.rows("SELECT village_code FROM village_certificate")]
    finally:
        loader.close()
    with app.app_context():
        with write_intent():
            elapsed, _ = timed(lambda: progress.refresh_villages(db.session(), certified))
            db.session.commit()
        steps.append({"step": "refresh certified villages (app)", "rows": None, "seconds": elapsed})
        token = issue_measured_certificate(hot_village)
        db.session.remove()
        db.engine.dispose()

    if pg:
        loader = Loader(d, url)
        try:
            elapsed, _ = timed(
                lambda: loader.autocommit(
                    "ANALYZE event_summary, village_progress, village_certificate,"
                    " village_designation, audit_entry"
                )
            )
        finally:
            loader.close()
        steps.append({"step": "ANALYZE derived tables", "rows": None, "seconds": elapsed})
    total = time.perf_counter() - started - refresh
    counts = count_rows(url)
    meta = {
        "complete": True,
        "dataset": asdict(ds),
        "schema": schema_fingerprint(),
        "generated_on": today.isoformat(),
        "steps": steps,
        "generation_seconds": total,
        "refresh_all_seconds": refresh,
        "refresh_all_villages": villages_done,
        "keys_rebuilt": rebuilt,
        "counts": counts,
        "hot_village": hot_village,
        "hot_village_events": hot_events,
        "regency": regency,
        "regency_villages": regency_villages,
        "verify_token": token,
        "admin": ADMIN_USERNAME,
    }
    write_meta(url, meta)
    return meta


def issue_measured_certificate(code: str) -> str:
    """A certificate issued through the app (with an override reason if a criterion is unmet)."""
    with write_intent():
        admin = db.session.scalars(select(User).where(User.username == ADMIN_USERNAME)).one()
        settings = villages.get_certificate_settings()
        settings.signatory_name = "Kepala Kantor Bench"
        settings.signatory_nip = "198001012005011001"
        village = villages.get_village(code)
        if villages.get_designation(code) is None:
            villages.designate(village, "SK-BENCH/UKUR", today_local(), None, admin)
        certificate = villages.issue_certificate(
            village, admin, override_reason="Sertifikat untuk mengukur halaman verifikasi publik."
        )
        db.session.commit()
        return certificate.verify_token


COUNTED = (
    (
        "villages in the work area",
        "SELECT count(*) FROM village v JOIN district dd ON"
        " dd.code = v.district_code JOIN office_regency o ON o.regency_code = dd.regency_code",
    ),
    ("regencies in the work area", "SELECT count(*) FROM office_regency"),
    ("officers", "SELECT count(*) FROM user_account WHERE role = 'officer'"),
    ("certified officers", "SELECT count(*) FROM officer_certification"),
    ("officer villages", "SELECT count(*) FROM officer_village"),
    ("villagers", "SELECT count(*) FROM user_account WHERE role = 'villager'"),
    ("events", "SELECT count(*) FROM event"),
    ("villages with events", "SELECT count(DISTINCT village_code) FROM event_village"),
    ("participations", "SELECT count(*) FROM participation"),
    ("quiz attempts", "SELECT count(*) FROM quiz_attempt"),
    ("answers", "SELECT count(*) FROM quiz_answer"),
    ("designations", "SELECT count(*) FROM village_designation"),
    ("certificates", "SELECT count(*) FROM village_certificate"),
    ("event summaries", "SELECT count(*) FROM event_summary"),
    ("village progress rows", "SELECT count(*) FROM village_progress"),
)


def count_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            out = {name: conn.execute(text(sql)).scalar() for name, sql in COUNTED}
            out["by status"] = dict(
                conn.execute(
                    text("SELECT status, count(*) FROM village_progress GROUP BY status ORDER BY 1")
                ).all()
            )
            return out
    finally:
        engine.dispose()


def database_size(url: str) -> dict:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        conn = sqlite3.connect(parsed.database)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        return {"bytes": Path(parsed.database).stat().st_size, "tables": {}}
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
            tables = conn.execute(
                text(
                    "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE"
                    " relkind = 'r' AND relnamespace = 'public'::regnamespace"
                    " ORDER BY 2 DESC LIMIT 6"
                )
            ).all()
            return {"bytes": size, "tables": dict(tables)}
    finally:
        engine.dispose()


# ---- measuring ------------------------------------------------------------------------------


class Recorder:
    """Every SQL statement the app runs, with its parameters and time."""

    ATTEMPTS = re.compile(r"\bquiz_(attempt|answer)\b")

    def __init__(self, engine):
        self.on = True
        self.statements: list[tuple[str, object, float]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, *_args):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, _cursor, statement, parameters, _context, executemany):
        started = conn.info["bench_started"].pop()
        if self.on and not executemany:
            self.statements.append((statement, parameters, time.perf_counter() - started))

    def take(self) -> list[tuple[str, object, float]]:
        out, self.statements = self.statements, []
        return out


def percentile(samples: list[float], p: int) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


@dataclass
class Page:
    kind: str  # baseline | dashboard | village | export | verify
    label: str
    path: str
    anonymous: bool = False  # the public verification page: opened from a QR code, no login

    @property
    def target_ms(self) -> float | None:
        return TARGETS_MS.get(self.kind)


def measure(client, recorder: Recorder, page: Page, requests: int) -> dict:
    def get():
        response = client.get(page.path)
        size = len(response.data)
        response.close()
        if response.status_code != 200:
            raise RuntimeError(f"GET {page.path} answered {response.status_code}")
        return size

    for _ in range(WARMUP):
        get()
    recorder.take()
    times, sql_times, counts = [], [], []
    gc.collect()
    for _ in range(requests):
        start = time.perf_counter()
        size = get()
        times.append(time.perf_counter() - start)
        statements = recorder.take()
        sql_times.append(sum(s[2] for s in statements))
        counts.append(len(statements))
        last = statements
    ms = [t * 1000 for t in times]
    return {
        "label": page.label,
        "path": page.path,
        "kind": page.kind,
        "target_ms": page.target_ms,
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "max_ms": max(ms),
        "sql_p50_ms": percentile([t * 1000 for t in sql_times], 50),
        "statements": statistics.median(counts),
        "bytes": size,
        "reads_attempts": sum(bool(Recorder.ATTEMPTS.search(s[0])) for s in last),
        "slowest": [
            {"ms": round(s[2] * 1000, 2), "sql": " ".join(s[0].split())[:600]}
            for s in sorted(last, key=lambda s: -s[2])[:5]
        ],
        "_last": last,
    }


def analyse(app, client, recorder: Recorder, result: dict, backend: str) -> str:
    """EXPLAIN the slowest statements of the page's last request; profile one request."""
    out = [f"=== {backend}: {result['label']}  GET {result['path']}"]
    out.append(
        f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, SQL p50"
        f" {result['sql_p50_ms']:.1f} ms in {result['statements']:.0f} statements"
    )
    recorder.on = False
    try:
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if backend == "postgresql" else "EXPLAIN QUERY PLAN "
        with app.app_context():
            with db.engine.connect() as conn:
                for statement, params, seconds in sorted(result["_last"], key=lambda s: -s[2])[:4]:
                    if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                        continue
                    out.append(f"\n--- {seconds * 1000:.2f} ms in the request:\n{statement}")
                    out.append(f"-- parameters: {params!r}"[:2000])
                    plan = conn.exec_driver_sql(prefix + statement, params).all()
                    out += ["  " + " | ".join(str(c) for c in row) for row in plan]
                    conn.rollback()
        profile = cProfile.Profile()
        profile.enable()
        client.get(result["path"]).close()
        profile.disable()
    finally:
        recorder.on = True
        recorder.take()
    buffer = io.StringIO()
    stats = pstats.Stats(profile, stream=buffer).sort_stats("cumulative")
    stats.print_stats(r"/(learning|quizzes|templates)/", 30)
    stats.sort_stats("tottime").print_stats(15)
    out.append("\n--- one request under cProfile (the project's code by cumulative time; then")
    out.append("--- everything by own time):")
    out.append(buffer.getvalue())
    return "\n".join(out)


def measure_pages(url: str, meta: dict, requests: int, backend: str) -> tuple[dict, list[str]]:
    app = make_app(url)
    extra = {}
    with app.app_context():
        engine = db.engine
        admin = db.session.scalars(select(User).where(User.username == meta["admin"])).one()
        session_id = admin.get_id()
        if progress.is_stale(db.session()):  # a day passed since generation: as ensure_fresh
            with write_intent():
                elapsed, _ = timed(lambda: progress.refresh_all(db.session()))
                db.session.commit()
            extra["refresh_before_measuring_seconds"] = elapsed
            print(f"  progress was stale: refresh_all {elapsed:.1f} s", file=sys.stderr)
        db.session.remove()
    recorder = Recorder(engine)
    # No app context held: each request gets its own, as when served.
    client, anonymous = app.test_client(), app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    regency, village = meta["regency"], meta["hot_village"]
    pages = [
        Page("baseline", "GET /healthz (baseline)", "/healthz"),
        Page("dashboard", "dashboard, first page", "/villages/"),
        Page(
            "dashboard",
            f"dashboard, regency {regency} ({meta['regency_villages']} villages)",
            f"/villages/?kabupaten={regency}",
        ),
        Page(
            "village",
            f"village page {village} ({meta['hot_village_events']} events)",
            f"/villages/{village}",
        ),
        Page(
            "export", f"CSV export, regency {regency}", f"/villages/export.csv?kabupaten={regency}"
        ),
        Page(
            "verify",
            "verification page (anonymous)",
            f"/verify/{meta['verify_token']}",
            anonymous=True,
        ),
    ]
    results, analyses = [], []
    extra["load_before"] = os.getloadavg()[0]
    for page in pages:
        result = measure(anonymous if page.anonymous else client, recorder, page, requests)
        print(
            f"  {page.label}: p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms",
            file=sys.stderr,
        )
        results.append(result)
    extra["load_after"] = os.getloadavg()[0]
    for page, result in zip(pages, results, strict=True):
        limit = result["target_ms"] or (EXPLAIN_FROM_MS if page.kind != "baseline" else None)
        if limit is not None and result["p95_ms"] >= limit:
            who = anonymous if page.anonymous else client
            analyses.append(analyse(app, who, recorder, result, backend))
    with app.app_context():
        db.engine.dispose()
    base = results[0]
    for result in results:
        result["x_base_p50"] = result["p50_ms"] / base["p50_ms"]
        result["x_base_p95"] = result["p95_ms"] / base["p95_ms"]
        result["met"] = (
            None if result["target_ms"] is None else result["p95_ms"] < result["target_ms"]
        )
        del result["_last"]
    return {"pages": results, **extra}, analyses


# ---- the two runs ---------------------------------------------------------------------------


def free_bytes(engine) -> tuple[str, int]:
    """Free space on the filesystem of the server's data directory (else of /)."""
    try:
        with engine.connect() as conn:
            directory = conn.execute(text("SHOW data_directory")).scalar()
        return directory, shutil.disk_usage(directory).free
    except Exception:  # not allowed to read the setting, or the server is elsewhere
        return "/", shutil.disk_usage("/").free


def run_postgres(args) -> tuple[dict, list[str]]:
    url = make_url(args.postgres_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = url.database
    if name != BENCH_DB:
        raise SystemExit(f"refusing to use database {name!r}: the bench only uses sadar_bench")
    target = url.render_as_string(hide_password=False)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            server = conn.execute(text("SHOW server_version")).scalar()
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
        ds = NATIONAL.scaled(args.scale)
        meta = None if (args.fresh or not exists) else read_meta(target)
        reused = bool(
            meta
            and meta.get("complete")
            and meta.get("dataset") == asdict(ds)
            and meta.get("schema") == schema_fingerprint()
        )
        if not reused:
            if exists:
                why = (
                    "--fresh"
                    if args.fresh
                    else "another or an unfinished dataset, or older migrations"
                )
                print(f"PostgreSQL: dropping {name} ({why})", file=sys.stderr)
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            where, free = free_bytes(admin)
            need = MIN_FREE_BYTES * max(1.0, args.scale)
            if free < need:
                raise SystemExit(
                    f"only {free / 1024**3:.1f} GB free on {where}; the national dataset needs"
                    f" {need / 1024**3:.0f} GB: refusing to generate"
                )
            print(f"PostgreSQL: {free / 1024**3:.0f} GB free on {where}", file=sys.stderr)
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            print(f"PostgreSQL: generating {asdict(ds)} in {name}", file=sys.stderr)
            meta = generate(target, ds, national=True)
        else:
            print(f"PostgreSQL: reusing {name} (generated {meta['generated_on']})", file=sys.stderr)
        size = database_size(target)
        print("PostgreSQL: measuring", file=sys.stderr)
        measured, analyses = measure_pages(target, meta, args.requests, "postgresql")
        if args.drop:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
    return {
        "backend": "PostgreSQL",
        "server": server,
        "database": name,
        "scenario": "national: every regency in the work area",
        "reused": reused,
        "size": size,
        **meta,
        **measured,
    }, analyses


def run_sqlite(args, tmp: Path) -> tuple[dict, list[str]]:
    url = f"sqlite:///{tmp / 'work_area.db'}"
    print(f"SQLite: generating {asdict(WORK_AREA)} for the default work area", file=sys.stderr)
    meta = generate(url, WORK_AREA, national=False)
    size = database_size(url)
    print("SQLite: measuring", file=sys.stderr)
    measured, analyses = measure_pages(url, meta, args.requests, "sqlite")
    return {
        "backend": "SQLite",
        "server": sqlite3.sqlite_version,
        "database": "a temporary file",
        "scenario": "the office's work area: 15.05, 15.06, 15.07",
        "reused": False,
        "size": size,
        **meta,
        **measured,
    }, analyses


# ---- report ---------------------------------------------------------------------------------


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
    return str(n)


def print_run(run: dict) -> None:
    c = run["counts"]
    print(
        f"{run['backend']} {run['server']}, {run['scenario']} ({run['database']}"
        f"{', reused: generated ' + run['generated_on'] if run['reused'] else ''})"
    )
    print(
        f"  {c['villages in the work area']:,} villages in {c['regencies in the work area']}"
        f" regencies; {c['officers']:,} officers ({c['certified officers']:,} certified,"
        f" {c['officer villages']:,} officer-villages); {c['events']:,} events in"
        f" {c['villages with events']:,} villages; {c['villagers']:,} villagers;"
        f" {c['participations']:,} participations; {c['quiz attempts']:,} attempts;"
        f" {c['answers']:,} answers; {c['designations']:,} designations;"
        f" {c['certificates']:,} certificates"
    )
    print("  villages by status: " + ", ".join(f"{k} {v:,}" for k, v in c["by status"].items()))
    print()
    header = f"  {'generation step':<52} {'rows':>11} {'seconds':>9} {'rows/s':>10}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for step in run["steps"]:
        rows = step["rows"]
        rate = f"{rows / step['seconds']:,.0f}" if rows and step["seconds"] > 0 else ""
        rows = f"{rows:,}" if rows else ""
        print(f"  {step['step']:<52} {rows:>11} {step['seconds']:>9.1f} {rate:>10}")
    print(
        f"  {'total generation (without refresh_all)':<52} {'':>11}"
        f" {run['generation_seconds']:>9.1f}"
    )
    print(
        f"  {'refresh_all (app: event summaries + village progress)':<52}"
        f" {run['refresh_all_villages']:>11,} {run['refresh_all_seconds']:>9.1f}"
    )
    tables = ", ".join(f"{k} {human(v)}" for k, v in run["size"]["tables"].items())
    print(f"  database size: {human(run['size']['bytes'])}" + (f" ({tables})" if tables else ""))
    if "refresh_before_measuring_seconds" in run:
        print(
            f"  progress was a day old: refresh_all {run['refresh_before_measuring_seconds']:.1f} s"
        )
    print(
        f"  machine load (1-minute average) while measuring: {run['load_before']:.1f} before,"
        f" {run['load_after']:.1f} after, on {os.cpu_count()} CPU(s)"
    )
    print()
    header = (
        f"  {'page':<48} {'p50 ms':>8} {'p95 ms':>8} {'x base':>13} {'SQL ms':>7}"
        f" {'stmts':>5} {'KB':>7} {'target':>8}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for r in run["pages"]:
        ratio = f"{r['x_base_p50']:.0f} ({r['x_base_p95']:.0f})" if r["kind"] != "baseline" else "1"
        target = ""
        if r["target_ms"] is not None:
            target = f"<{r['target_ms']:.0f} " + ("ok" if r["met"] else "MISS")
        print(
            f"  {r['label']:<48} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {ratio:>13}"
            f" {r['sql_p50_ms']:>7.1f} {r['statements']:>5.0f} {r['bytes'] / 1024:>7.0f}"
            f" {target:>8}"
        )
    reads = sum(r["reads_attempts"] for r in run["pages"])
    print(f"  statements reading quiz_attempt or quiz_answer in these requests: {reads}")
    print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild sadar_bench")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="shrink the national dataset (e.g. 0.05)"
    )
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-only", action="store_true", help="skip SQLite")
    parser.add_argument("--postgres-url", default=DEFAULT_PG, help="the sadar_bench database")
    parser.add_argument("--requests", type=int, default=30, help="timed requests a page (30)")
    parser.add_argument("--drop", action="store_true", help="drop sadar_bench when done")
    args = parser.parse_args(argv)
    if os.environ.get("CI"):
        print(
            "national_scale.py never runs in CI (CI is set): it writes gigabytes.", file=sys.stderr
        )
        return 2
    if not 0 < args.scale <= 4:
        parser.error("--scale must be above 0 and at most 4")
    if args.sqlite_only and args.pg_only:
        parser.error("--sqlite-only and --pg-only exclude each other")
    if args.requests < 2:
        parser.error("--requests must be at least 2")

    # SIGTERM ends the run like Ctrl+C does: through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    faulthandler.enable()  # a crash in a driver's C code still says where it happened
    tmp = Path(tempfile.mkdtemp(prefix="bench_national_"))
    # The app must not read or write the project's instance folder.
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")
    runs, analyses = [], []
    try:
        if not args.sqlite_only:
            try:
                run, found = run_postgres(args)
            except OperationalError as exc:
                print(f"PostgreSQL not reachable ({exc.orig}); try --sqlite-only", file=sys.stderr)
                return 2
            runs.append(run)
            analyses += found
        if not args.pg_only:
            run, found = run_sqlite(args, tmp)
            runs.append(run)
            analyses += found
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    versions = (
        f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__},"
        f" psycopg {psycopg.__version__}, SQLite {sqlite3.sqlite_version}; {os.cpu_count()} CPU(s)"
    )
    print(f"Village certification at national scale; {versions}")
    print(
        f"Each page: {WARMUP} warm-ups, then {args.requests} requests with the Flask test client"
        " (logged in as an admin); x base = p50 (p95) / p50 (p95) of GET /healthz in the same run."
    )
    print(
        "Targets: dashboard p95 < 300 ms, verification p95 < 50 ms. SQL ms: p50 of the time the"
        " requests spent in SQL statements."
    )
    print()
    for run in runs:
        print_run(run)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "national_scale.json").write_text(
        json.dumps({"versions": versions, "scale": args.scale, "runs": runs}, indent=2, default=str)
    )
    plans = RESULTS / "national_scale_plans.txt"
    if analyses:
        plans.write_text("\n\n".join(analyses))
        print(f"Pages over their target: plans and a profile in {plans}")
    elif plans.exists():
        plans.unlink()
    print(f"Results: {RESULTS / 'national_scale.json'}")
    missed = [r["label"] for run in runs for r in run["pages"] if r["met"] is False]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
