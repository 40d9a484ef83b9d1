"""Time saving one quiz answer end to end over HTTP, on SQLite and PostgreSQL, against floors.

For each database, built fresh by learning.cli.run_setup (schema, regions, content), with one
officer and enough open attempts at the exam `ujian-akhir-pimpasa` (services.start_attempt),
the app is served by waitress (8 threads, as `sadar-imigrasi run` serves it) on 127.0.0.1 and a
free port. A client posts JSON answers to POST /quizzes/attempts/<id>/answers (header
X-Attempt-Token, a fresh client_answer_id each):
  answer save, 1 client     --requests requests, one after the other on one keep-alive connection
  answer save, K clients    --requests requests shared by --clients threads, one connection each
  duplicate send            the last answer sent again (same client_answer_id): a 200 that
                            creates nothing
  baseline (a)              --requests single-row INSERT + COMMIT with plain DBAPI into a
                            one-table database of the same engine and connection settings
  baseline (b)              --requests GET /healthz (one SELECT 1) on the same server
Then every acknowledged answer must be in quiz_answer: answers lost must be 0.

    /work/venv/bin/python bench/answer_save.py [--sqlite-only] [--requests N] [--clients K]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

The PostgreSQL URL is used only to CREATE and DROP databases named bench_*; its own database
is never read or written. Everything made here is removed on exit, failure or Ctrl+C.
"""

import argparse
import gc
import http.client
import json
import logging
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import sqlalchemy
import waitress
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from waitress import wasyncore

from learning import create_app
from learning.accounts import services as accounts
from learning.accounts.models import Role
from learning.cli import run_setup
from learning.config import Defaults
from learning.core.database import BUSY_TIMEOUT_MS, write_intent
from learning.extensions import db
from quizzes import services as quizzes
from quizzes.models import QuizAnswer

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_NAME = re.compile(r"bench_[a-z0-9_]+")
QUIZ = "ujian-akhir-pimpasa"  # 22 questions (2 per officer lesson): the most per attempt
SERVER_THREADS = 8  # `sadar-imigrasi run` serves with waitress and 8 threads
WARMUP = 20  # untimed requests of each kind before timing (connections, first-request costs)
HOST = "127.0.0.1"

# quiz_answer's shape (learning/migrations/versions): columns, primary key, unique key, index.
BARE_DDL = (
    "CREATE TABLE bare_answer (id {uuid} NOT NULL PRIMARY KEY,"
    " origin_device VARCHAR(40) NOT NULL, created_at TIMESTAMP NOT NULL,"
    " attempt_id {uuid} NOT NULL, question_version_id {uuid} NOT NULL,"
    " client_answer_id {uuid} NOT NULL UNIQUE, choice_ids JSON NOT NULL,"
    " is_correct BOOLEAN NOT NULL, answered_at TIMESTAMP NOT NULL, source VARCHAR(20) NOT NULL)",
    "CREATE INDEX ix_bare_answer_attempt_id ON bare_answer (attempt_id)",
)
BARE_INSERT = (
    "INSERT INTO bare_answer (id, origin_device, created_at, attempt_id, question_version_id,"
    " client_answer_id, choice_ids, is_correct, answered_at, source)"
    " VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)


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
        name = f"bench_answers_{os.getpid()}_{self.count}"
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
    # Served as in production (TESTING off, CSRF on: the answer endpoint is exempt).
    return create_app(
        {
            "SECRET_KEY": "bench-only-secret",
            "DEVICE_ID": "bench-device",
            "SQLALCHEMY_DATABASE_URI": url,
            "REGIONS_DATA_DIR": Defaults.REGIONS_DATA_DIR,
            "SERVER_NAME": None,
            "REDIS_URL": None,
        }
    )


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 of `samples` (seconds), in milliseconds."""
    if len(samples) == 1:
        return (samples[0] * 1000,) * 3
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


class Probe:
    """Count what the app does on its engine: SQL statements, pool checkouts, new connections."""

    def __init__(self, engine):
        self.lock = threading.Lock()
        self.counts = {"statements": 0, "inserts": 0, "checkouts": 0, "connects": 0}
        event.listen(engine, "before_cursor_execute", self._on_statement)
        event.listen(engine.pool, "checkout", self._on("checkouts"))
        event.listen(engine.pool, "connect", self._on("connects"))

    def _on_statement(self, _conn, _cursor, statement, *_args):
        with self.lock:
            self.counts["statements"] += 1
            self.counts["inserts"] += statement.lstrip().upper().startswith("INSERT")

    def _on(self, key):
        def handler(*_args):
            with self.lock:
                self.counts[key] += 1

        return handler

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.counts)

    def since(self, before: dict[str, int]) -> dict[str, int]:
        now = self.snapshot()
        return {key: now[key] - before[key] for key in now}


def prepare(app, clients: int, requests: int) -> tuple[list[dict], list[list[dict]]]:
    """Set the database up, then start the attempts; return the answers to send.

    Returns the answers of the sequential client (warm-up first) and those of each concurrent
    client; every client answers its own attempts, each question once.
    """
    with app.app_context():
        logging.disable(logging.INFO)  # alembic's per-revision INFO lines
        try:
            run_setup(echo=lambda *_: None)
        finally:
            logging.disable(logging.NOTSET)
        with write_intent():
            officer = accounts.create_user(
                username="petugas.bench",
                display_name="Petugas Bench",
                role=Role.OFFICER,
                password="kata-sandi-bench-1",  # noqa: S106  (a throwaway database)
                must_change_password=False,
            )
            quiz = quizzes.get_quiz(QUIZ)
            count = [0]

            def answers(n: int) -> list[dict]:
                """Start enough attempts for n answers; one answer per question, in order."""
                out = []
                while len(out) < n:
                    count[0] += 1
                    # One open attempt per user, quiz and context: a context per attempt.
                    attempt, token = quizzes.start_attempt(
                        officer, quiz, context=f"bench-{count[0]}", rng=random.Random(count[0])
                    )
                    for item in attempt.items:
                        out.append(
                            {
                                "path": f"/quizzes/attempts/{attempt.id}/answers",
                                "token": token,
                                "question": item["v"],
                                "choices": item["o"][:1],
                            }
                        )
                return out[:n]

            sequential = answers(WARMUP + requests)
            shares = [requests // clients + (k < requests % clients) for k in range(clients)]
            concurrent = [answers(share) for share in shares]
            db.session.commit()
            db.session.remove()
    return sequential, concurrent


class Server:
    """The app under waitress in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, app):
        self.server = waitress.create_server(
            app, host=HOST, port=0, threads=SERVER_THREADS, ident="sadar-imigrasi"
        )
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, name="waitress", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        # Close the listener and every channel from the server's own loop thread: its map
        # empties and run() returns. Then stop the worker threads.
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self.thread.join(timeout=5)
        self.server.task_dispatcher.shutdown(timeout=5)


class Client:
    """One keep-alive HTTP/1.1 connection; each call returns (seconds, status, JSON body)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)

    def _send(self, method, path, body=None, headers=None):
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            raw = response.read()
            elapsed = time.perf_counter() - start
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()  # the next request opens a new connection
            return time.perf_counter() - start, 0, {"error": repr(exc)}
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = {"error": raw[:200].decode("utf-8", "replace")}
        return elapsed, response.status, payload

    def answer(self, answer: dict, client_answer_id: str):
        body = json.dumps(
            {
                "question": answer["question"],
                "choices": answer["choices"],
                "client_answer_id": client_answer_id,
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Attempt-Token": answer["token"],
        }
        return self._send("POST", answer["path"], body, headers)

    def healthz(self):
        return self._send("GET", "/healthz")

    def close(self) -> None:
        self.conn.close()


class Tally:
    """Responses to answers: latencies of the timed ones, acknowledged ids, errors."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked: set[str] = set()  # client_answer_ids answered 200 saved
        self.not_created = 0  # 200 for a fresh id that says it created nothing
        self.errors = 0
        self.sent = 0
        self.samples: list[str] = []

    def record(self, client_answer_id, status, payload) -> bool:
        with self.lock:
            self.sent += 1
            if status == 200 and payload.get("saved"):
                self.acked.add(client_answer_id)
                self.not_created += not payload.get("created")
                return True
            self.errors += 1
            if len(self.samples) < 3:
                self.samples.append(f"{status} {payload}")
            return False


def send_answers(client: Client, answers: list[dict], tally: Tally) -> tuple[list[float], str]:
    """Post each answer with a fresh client_answer_id; return the latencies and the last id."""
    latencies, client_answer_id = [], None
    for answer in answers:
        client_answer_id = str(uuid.uuid4())
        elapsed, status, payload = client.answer(answer, client_answer_id)
        tally.record(client_answer_id, status, payload)
        latencies.append(elapsed)
    return latencies, client_answer_id


def run_concurrent(port: int, shares: list[list[dict]], tally: Tally):
    """K clients at once, each on its own connection; return every latency and the wall time."""
    clients = [Client(port) for _ in shares]
    for client in clients:
        client.healthz()  # open the connection before the clock starts
    barrier = threading.Barrier(len(shares) + 1)
    latencies: list[list[float]] = [[] for _ in shares]

    def work(k):
        barrier.wait()
        latencies[k] = send_answers(clients[k], shares[k], tally)[0]

    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(len(shares))]
    try:
        for thread in threads:
            thread.start()
        gc.collect()
        barrier.wait(timeout=30)
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
    finally:
        for client in clients:
            client.close()
    return [t for per_client in latencies for t in per_client], wall


def run_http(app, sequential: list[dict], concurrent: list[list[dict]], requests: int) -> dict:
    """Serve the app and time every HTTP step; then read back which answers were stored."""
    with app.app_context():
        probe = Probe(db.engine)
    server = Server(app)
    tally = Tally()
    out = {"tally": tally}
    try:
        client = Client(server.port)
        try:
            for _ in range(WARMUP):
                client.healthz()
            send_answers(client, sequential[:WARMUP], tally)

            before = probe.snapshot()
            gc.collect()
            start = time.perf_counter()
            latencies, last_id = send_answers(client, sequential[WARMUP:], tally)
            out["sequential"] = (latencies, time.perf_counter() - start)
            out["per_answer"] = probe.since(before)

            # The last answer once more, same client_answer_id: a success that changes nothing.
            before = probe.snapshot()
            out["duplicate"] = client.answer(sequential[-1], last_id) + (probe.since(before),)

            before = probe.snapshot()
            healthz = []
            for _ in range(requests):
                elapsed, status, payload = client.healthz()
                if status != 200:
                    raise RuntimeError(f"GET /healthz answered {status}: {payload}")
                healthz.append(elapsed)
            out["healthz"] = healthz
            out["per_healthz"] = probe.since(before)
        finally:
            client.close()

        before = probe.snapshot()
        out["concurrent"] = run_concurrent(server.port, concurrent, tally)
        out["per_concurrent"] = probe.since(before)
    finally:
        server.stop()
    with app.app_context():
        out["stored"] = {str(i) for i in db.session.scalars(select(QuizAnswer.client_answer_id))}
        db.session.remove()
    return out


def run_dbapi(url: str, requests: int) -> list[float]:
    """Time single-row INSERT + COMMIT into a quiz_answer-shaped table, plain DBAPI, one by one."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        conn = sqlite3.connect(parsed.database, isolation_level=None)
        # The connection settings of learning/core/database.py, and its BEGIN IMMEDIATE.
        for pragma in (
            "journal_mode=WAL",
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            "synchronous=NORMAL",
            "foreign_keys=ON",
        ):
            conn.execute(f"PRAGMA {pragma}")
        placeholder, begin, uuid_type = "?", "BEGIN IMMEDIATE", "CHAR(32)"
        as_uuid = lambda u: u.hex  # noqa: E731  (as SQLAlchemy stores Uuid on SQLite)
        stamp = lambda: datetime.now(UTC).replace(tzinfo=None).isoformat(" ")  # noqa: E731
    else:
        # autocommit off (psycopg's default): each row is its own transaction, committed.
        conn = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(False))
        placeholder, begin, uuid_type = "%s", None, "UUID"
        as_uuid = lambda u: u  # noqa: E731
        stamp = lambda: datetime.now(UTC).replace(tzinfo=None)  # noqa: E731
    try:
        cur = conn.cursor()
        for ddl in BARE_DDL:
            cur.execute(ddl.format(uuid=uuid_type))
        conn.commit()
        sql = BARE_INSERT.format(p=placeholder)
        attempt_id, version_id = as_uuid(uuid.uuid4()), as_uuid(uuid.uuid4())

        def insert_one():
            if begin:
                cur.execute(begin)
            now = stamp()
            cur.execute(
                sql,
                (
                    as_uuid(uuid.uuid4()),
                    "bench-device",
                    now,
                    attempt_id,
                    version_id,
                    as_uuid(uuid.uuid4()),
                    '["a1b2c3d4"]',
                    True,
                    now,
                    "tablet",
                ),
            )
            conn.commit()

        for _ in range(WARMUP):
            insert_one()
        latencies = []
        gc.collect()
        for _ in range(requests):
            start = time.perf_counter()
            insert_one()
            latencies.append(time.perf_counter() - start)
        cur.execute("SELECT count(*) FROM bare_answer")
        if cur.fetchone()[0] != WARMUP + requests:
            raise RuntimeError("baseline: wrong number of rows")
        cur.close()
    finally:
        conn.close()
    return latencies


def run_backend(databases: Databases, backend: str, label: str, args) -> dict:
    url = databases.create(backend)
    try:
        dbapi = run_dbapi(url, args.requests)
    finally:
        databases.drop(url)
    print(f"{label}: baseline (a) done", file=sys.stderr)
    url = databases.create(backend)
    try:
        app = make_app(url)
        try:
            start = time.perf_counter()
            sequential, concurrent = prepare(app, args.clients, args.requests)
            print(
                f"{label}: database set up, {WARMUP + 2 * args.requests} answers to send"
                f" ({time.perf_counter() - start:.1f} s)",
                file=sys.stderr,
            )
            out = run_http(app, sequential, concurrent, args.requests)
        finally:
            with app.app_context():
                db.engine.dispose()
    finally:
        databases.drop(url)
    print(f"{label}: HTTP steps done", file=sys.stderr)
    out["dbapi"] = dbapi
    return out


def row(label, backend, latencies, per_second) -> str:
    p50, p95, p99 = percentiles(latencies)
    return (
        f"{label:<42} {backend:<11} {len(latencies):>6,} {p50:>7.2f} {p95:>7.2f} {p99:>7.2f}"
        f" {per_second:>8,.0f}"
    )


def ratio(latencies, base) -> str:
    (a50, a95, _), (b50, b95, _) = percentiles(latencies), percentiles(base)
    return f"{a50 / b50:.1f} ({a95 / b95:.1f})"


def print_report(results, args, versions) -> list[str]:
    """Print the tables; return the checks that failed."""
    print(
        f"Answer save over HTTP: POST /quizzes/attempts/<id>/answers (JSON) on exam {QUIZ};"
        f" waitress, {SERVER_THREADS} threads, {HOST}"
    )
    print(
        f"{args.requests:,} requests per step, {args.clients} concurrent clients;"
        f" {WARMUP} untimed warm-up requests of each kind first"
    )
    print(versions)
    print()
    header = (
        f"{'step':<42} {'database':<11} {'count':>6} {'p50 ms':>7} {'p95 ms':>7}"
        f" {'p99 ms':>7} {'per s':>8}"
    )
    print(header)
    print("-" * len(header))
    for label, out in results:
        latencies, wall = out["sequential"]
        print(row("answer save, 1 client, sequential", label, latencies, len(latencies) / wall))
        latencies, wall = out["concurrent"]
        served = len(latencies)
        print(row(f"answer save, {args.clients} clients at once", label, latencies, served / wall))
        elapsed, status, payload, _counts = out["duplicate"]
        print(row("duplicate send (same client_answer_id)", label, [elapsed], 1 / elapsed))
        base = out["dbapi"]
        print(row("baseline (a) DBAPI INSERT + COMMIT", label, base, len(base) / sum(base)))
        base = out["healthz"]
        print(row("baseline (b) GET /healthz, 1 client", label, base, len(base) / sum(base)))
    print()
    header = f"{'answer save / baseline: p50 (p95)':<42} {'database':<11} {'/ (a) DBAPI':>17}"
    header += f" {'/ (b) /healthz':>17}"
    print(header)
    print("-" * len(header))
    for label, out in results:
        for name, latencies in (
            ("1 client, sequential", out["sequential"][0]),
            (f"{args.clients} clients at once", out["concurrent"][0]),
        ):
            print(
                f"{name:<42} {label:<11} {ratio(latencies, out['dbapi']):>17}"
                f" {ratio(latencies, out['healthz']):>17}"
            )
    print()
    failed = []
    for label, out in results:
        tally, stored = out["tally"], out["stored"]
        lost, extra = len(tally.acked - stored), len(stored - tally.acked)
        elapsed, status, payload, counts = out["duplicate"]
        duplicate_ok = status == 200 and payload.get("saved") and payload.get("created") is False
        print(
            f"{label}: {tally.sent:,} answers sent (with warm-up), {len(tally.acked):,} answered"
            f" 200, {len(stored):,} rows in quiz_answer: answers lost {lost}, rows never"
            f" acknowledged {extra}, errors (non-200) {tally.errors}, fresh answers answered"
            f" created=false {tally.not_created}"
        )
        print(
            f"{label}: duplicate send answered {status} {json.dumps(payload, sort_keys=True)}"
            f" in {elapsed * 1000:.2f} ms; {counts['statements']} SQL statements, of which"
            f" INSERT {counts['inserts']}; rows in quiz_answer = answers acknowledged:"
            f" {'yes' if len(stored) == len(tally.acked) else 'NO'}"
        )
        n, h, c = out["per_answer"], out["per_healthz"], out["per_concurrent"]
        steps = len(out["sequential"][0])
        print(
            f"{label}: per request, server side: answer save {n['statements'] / steps:.1f} SQL"
            f" statements and {n['checkouts'] / steps:.1f} pool checkouts; /healthz"
            f" {h['statements'] / len(out['healthz']):.1f} and"
            f" {h['checkouts'] / len(out['healthz']):.1f}; new DB connections opened while"
            f" {args.clients} clients ran: {c['connects']}"
        )
        if lost:
            failed.append(f"{label}: {lost} acknowledged answers are not in quiz_answer")
        if tally.errors:
            failed.append(f"{label}: {tally.errors} answers not saved, e.g. {tally.samples}")
        if tally.not_created:
            failed.append(f"{label}: {tally.not_created} fresh answers said created=false")
        if not duplicate_ok or len(stored) != len(tally.acked):
            failed.append(f"{label}: the duplicate send was not a no-op success")
    print()
    print("ms = client-side latency of one request (send to last byte of the reply), keep-alive.")
    print("(a) = single-row INSERT + COMMIT into a table shaped like quiz_answer (same keys and")
    print("index), plain sqlite3 / psycopg with the app's connection settings: the write floor.")
    print("(b) = GET /healthz on the same server: routing, hooks and one SELECT 1, the HTTP floor.")
    print("per s = requests / wall time (at once: every client's requests / first to last).")
    print("The clients are threads of this process: they share its CPUs and GIL with the server.")
    return failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_PG, help="server to create bench_* databases on"
    )
    parser.add_argument("--requests", type=int, default=500, help="requests per step (default 500)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    args = parser.parse_args(argv)
    if args.requests < 2:
        parser.error("--requests must be at least 2")
    if not 1 <= args.clients <= args.requests:
        parser.error("--clients must be between 1 and --requests")

    # SIGTERM ends the run like Ctrl+C does: through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="bench_answers_"))
    # The app must not read or write the project's instance folder.
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")
    databases = None
    try:
        databases = Databases(tmp, None if args.sqlite_only else args.postgres_url)
        backends = [("sqlite", "SQLite")]
        versions = (
            f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__},"
            f" waitress {waitress_version()}, SQLite {sqlite3.sqlite_version}"
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

        results = [
            (label, run_backend(databases, backend, label, args)) for backend, label in backends
        ]
        failed = print_report(results, args, versions)
        for problem in failed:
            print(f"FAILED: {problem}", file=sys.stderr)
        return 1 if failed else 0
    finally:
        if databases is not None:
            databases.close()
        shutil.rmtree(tmp, ignore_errors=True)


def waitress_version() -> str:
    from importlib.metadata import version

    return version("waitress")


if __name__ == "__main__":
    sys.exit(main())
