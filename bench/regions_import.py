"""Time the import of the shipped region data on SQLite and PostgreSQL, against a DBAPI floor.

Steps, each run --repeat times on a freshly migrated database (median and min are printed):
  (a) read and check the four files        learning.regions.importer.read_region_files
  (b) load_regions + commit, empty database the path `flask setup` takes (without the progress bar)
  (c) load_regions + commit again            over the full database: must change nothing
  baseline                                   the same 91,599 rows, plain DBAPI `executemany` into
                                             tables of the same shape (columns, keys, indexes)

    /work/venv/bin/python bench/regions_import.py [--sqlite-only] [--repeat N]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

The PostgreSQL URL is used only to CREATE and DROP databases named bench_*; its own database
is never read or written. Everything made here is removed on exit, failure or Ctrl+C.
"""

import argparse
import gc
import logging
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import sqlalchemy
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from learning import create_app
from learning.config import Defaults
from learning.core.database import write_intent
from learning.extensions import db
from learning.regions.importer import LEVELS, load_regions, read_region_files
from learning.regions.models import VillageKind

DATA_DIR = Path(Defaults.REGIONS_DATA_DIR)
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
EXPECTED = {"provinces": 38, "regencies": 514, "districts": 7285, "villages": 83762}
BENCH_NAME = re.compile(r"bench_[a-z0-9_]+")

# The migrated tables' shape (learning/migrations/versions), without the ORM.
BARE_DDL = (
    "CREATE TABLE bare_province (code VARCHAR(2) NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL)",
    "CREATE TABLE bare_regency (code VARCHAR(5) NOT NULL PRIMARY KEY,"
    " province_code VARCHAR(2) NOT NULL REFERENCES bare_province (code),"
    " name VARCHAR(100) NOT NULL)",
    "CREATE INDEX ix_bare_regency_province_code ON bare_regency (province_code)",
    "CREATE TABLE bare_district (code VARCHAR(8) NOT NULL PRIMARY KEY,"
    " regency_code VARCHAR(5) NOT NULL REFERENCES bare_regency (code),"
    " name VARCHAR(100) NOT NULL)",
    "CREATE INDEX ix_bare_district_regency_code ON bare_district (regency_code)",
    "CREATE TABLE bare_village (code VARCHAR(13) NOT NULL PRIMARY KEY,"
    " district_code VARCHAR(8) NOT NULL REFERENCES bare_district (code),"
    " name VARCHAR(100) NOT NULL, kind VARCHAR(20) NOT NULL)",
    "CREATE INDEX ix_bare_village_district_code ON bare_village (district_code)",
    "CREATE INDEX ix_bare_village_name ON bare_village (name)",
)
BARE_INSERTS = {
    "provinces": "INSERT INTO bare_province (code, name) VALUES ({p}, {p})",
    "regencies": "INSERT INTO bare_regency (code, province_code, name) VALUES ({p}, {p}, {p})",
    "districts": "INSERT INTO bare_district (code, regency_code, name) VALUES ({p}, {p}, {p})",
    "villages": "INSERT INTO bare_village (code, district_code, name, kind)"
    " VALUES ({p}, {p}, {p}, {p})",
}


class Databases:
    """Hand out fresh databases (SQLite files, or PostgreSQL bench_* databases) and remove them."""

    def __init__(self, tmp: Path, admin_url: str | None):
        self.tmp = tmp
        self.count = 0
        self.live: set[str] = set()
        self.admin = None
        if admin_url:
            self.admin_url = make_url(admin_url)
            if self.admin_url.drivername == "postgresql":  # the project's driver, not psycopg2
                self.admin_url = self.admin_url.set(drivername="postgresql+psycopg")
            self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def server_version(self) -> str:
        with self.admin.connect() as conn:
            return conn.execute(text("SHOW server_version")).scalar_one()

    def create(self, backend: str) -> str:
        self.count += 1
        name = f"bench_regions_{os.getpid()}_{self.count}"
        if backend == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.db')}"
        self.live.add(name)  # before CREATE: a failure half-way still drops it
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        parsed = make_url(url)
        name = Path(parsed.database).stem
        if not BENCH_NAME.fullmatch(name):
            raise ValueError(f"refusing to drop {name!r}: not a bench_ database")
        if parsed.get_backend_name() == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
            return
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.live.discard(name)

    def close(self) -> None:
        if self.admin is None:
            return
        for name in sorted(self.live):
            try:
                self.drop(self.admin_url.set(database=name).render_as_string(False))
            except Exception as exc:  # keep dropping the others; say which one is left
                print(f"could not drop database {name}: {exc}", file=sys.stderr)
        self.admin.dispose()


def make_app(url: str):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-only-secret",
            "DEVICE_ID": "bench-device",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "REGIONS_DATA_DIR": str(DATA_DIR),
            "SERVER_NAME": None,
            "REDIS_URL": None,
        }
    )


def migrate_schema(app) -> None:
    """Build the schema as learning.cli.run_setup does: Flask-Migrate's upgrade."""
    from flask_migrate import upgrade

    db.session.close()
    logging.disable(logging.INFO)  # alembic's per-revision INFO lines
    try:
        with write_intent():
            upgrade(directory=app.extensions["migrate"].directory)
    finally:
        logging.disable(logging.NOTSET)


def timed(fn):
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def import_once(data):
    with write_intent():
        stats = load_regions(data)
        db.session.commit()
    return stats


def check_counts(stats, field: str) -> None:
    got = getattr(stats, field)
    if got != EXPECTED:
        raise RuntimeError(f"expected {field} {EXPECTED}, got {got} ({stats})")


def run_import(url: str, data) -> tuple[float, float]:
    """Migrate a fresh database, then time (b) the first and (c) the second import."""
    app = make_app(url)
    try:
        with app.app_context():
            migrate_schema(app)
            first, stats = timed(lambda: import_once(data))
            check_counts(stats, "inserted")
            second, stats = timed(lambda: import_once(data))
            check_counts(stats, "unchanged")
            if stats.changed:
                raise RuntimeError(f"the second import changed rows: {stats}")
            for stem, model, _parent, _pattern in LEVELS:
                rows = db.session.scalar(select(func.count()).select_from(model))
                if rows != EXPECTED[stem]:
                    raise RuntimeError(f"{stem}: {rows} rows in the database")
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
    return first, second


def bare_rows(data) -> dict[str, list[tuple]]:
    rows = {}
    for stem, _model, parent_col, _pattern in LEVELS:
        keys = ("code", parent_col, "name") if parent_col else ("code", "name")
        rows[stem] = [tuple(row[k] for k in keys) for row in data[stem]]
    rows["villages"] = [r + (VillageKind.from_code(r[0]).value,) for r in rows["villages"]]
    return rows


def run_baseline(url: str, rows) -> float:
    """Time plain executemany of every row into tables of the same shape, one transaction."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        conn = sqlite3.connect(parsed.database, isolation_level=None)
        # The connection settings of learning/core/database.py.
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        placeholder, begin = "?", "BEGIN IMMEDIATE"
    else:
        conn = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(False))
        placeholder, begin = "%s", None
    try:
        cur = conn.cursor()
        for ddl in BARE_DDL:
            cur.execute(ddl)
        conn.commit()

        def insert_all():
            if begin:
                cur.execute(begin)
            for stem, sql in BARE_INSERTS.items():
                cur.executemany(sql.format(p=placeholder), rows[stem])
            conn.commit()

        elapsed, _ = timed(insert_all)
        cur.execute("SELECT count(*) FROM bare_village")
        if cur.fetchone()[0] != EXPECTED["villages"]:
            raise RuntimeError("baseline: wrong number of villages")
        cur.close()
    finally:
        conn.close()
    return elapsed


def print_report(results, total, repeat, versions) -> None:
    counts = ", ".join(f"{n:,} {stem}" for stem, n in EXPECTED.items())
    print(f"Region import: {total:,} rows ({counts}); {repeat} run(s) per step")
    print(versions)
    print()
    header = (
        f"{'step':<42} {'database':<11} {'median s':>9} {'min s':>8} {'rows/s':>10} {'x base':>7}"
    )
    print(header)
    print("-" * len(header))
    for label, backend, times in results:
        median = statistics.median(times)
        base = next((t for lab, b, t in results if b == backend and lab.startswith("base")), None)
        ratio = f"{median / statistics.median(base):.2f}" if base and backend != "-" else ""
        print(
            f"{label:<42} {backend:<11} {median:>9.3f} {min(times):>8.3f}"
            f" {total / median:>10,.0f} {ratio:>7}".rstrip()
        )
    print()
    print("x base = median / median of the baseline on the same database (lower is better).")
    print("baseline = DBAPI executemany of the same rows into tables with the same columns,")
    print("primary keys, foreign keys and indexes, one transaction; no ORM, no checks.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_PG, help="server to create bench_* databases on"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (default 3)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    # SIGTERM ends the run like Ctrl+C does: through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="bench_regions_"))
    # The app must not read or write the project's instance folder.
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")
    databases = None
    try:
        databases = Databases(tmp, None if args.sqlite_only else args.postgres_url)
        backends = [("sqlite", "SQLite")]
        versions = (
            f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__},"
            f" SQLite {sqlite3.sqlite_version}"
        )
        if not args.sqlite_only:
            try:
                server = databases.server_version()
            except OperationalError as exc:
                print(f"PostgreSQL not reachable ({exc.orig}); try --sqlite-only", file=sys.stderr)
                return 2
            backends.append(("postgresql", "PostgreSQL"))
            versions += f", psycopg {psycopg.__version__}, PostgreSQL {server}"
        versions += f"; {os.cpu_count()} CPU(s)"

        read_times = []
        with make_app("sqlite://").app_context():
            for _ in range(args.repeat):
                elapsed, data = timed(lambda: read_region_files(DATA_DIR))
                read_times.append(elapsed)
        if {stem: len(rows) for stem, rows in data.items()} != EXPECTED:
            raise RuntimeError("the shipped region files do not hold the expected counts")
        total = sum(EXPECTED.values())
        rows = bare_rows(data)

        results = [("(a) read + check files", "-", read_times)]
        for backend, label in backends:
            first, second, base = [], [], []
            for _ in range(args.repeat):
                url = databases.create(backend)
                try:
                    base.append(run_baseline(url, rows))
                finally:
                    databases.drop(url)
                url = databases.create(backend)
                try:
                    b, c = run_import(url, data)
                finally:
                    databases.drop(url)
                first.append(b)
                second.append(c)
                print(f"{label}: run {len(first)}/{args.repeat} done", file=sys.stderr)
            results += [
                ("(b) load_regions + commit, empty db", label, first),
                ("(c) load_regions + commit again (no-op)", label, second),
                ("baseline: DBAPI executemany + commit", label, base),
            ]
        print_report(results, total, args.repeat, versions)
        return 0
    finally:
        if databases is not None:
            databases.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
