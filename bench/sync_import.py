"""Time importing a 60-participant event bundle at the office, against floors in the same run.

A laptop database (SQLite, set up as a fresh laptop is, enrolled in-process with the office and
pulled) records one event through the real services: 60 villagers register, take the pre-test
(80% of questions answered) and the post-test, the event is closed. Its bundle is written with
`bundle.export_event`. Then, for each office database (SQLite file; PostgreSQL too when
--postgres-url is given), --repeat times each, inside a savepoint rolled back afterwards so every
run starts from the same office:
  open         read the header, verify the signature, decrypt and parse the payload
  import       imports.import_bundle: checks, versions, records, conflicts, review queue
  again        the same bundle imported a second time (a reported no-op)
  newer        a later bundle of the same event (every record again, newer sequence)
  floor        the same records written with records.insert_many and nothing else
The ratio import / floor is what checking and keeping versions cost over writing the rows.

    .venv/bin/python bench/sync_import.py [--repeat 7] [--participants 60]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

The PostgreSQL URL is used only to CREATE and DROP a database named bench_sync_<pid>.
"""

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from learning import create_app  # noqa: E402
from learning.accounts import services as accounts  # noqa: E402
from learning.accounts.models import Role  # noqa: E402
from learning.cli import run_setup  # noqa: E402
from learning.core.database import write_intent  # noqa: E402
from learning.events import services as events  # noqa: E402
from learning.events.models import AGE_GROUPS, GENDERS, Event  # noqa: E402
from learning.extensions import db  # noqa: E402
from learning.sync import bundle, crypto, identity, imports, pull, records, services  # noqa: E402
from quizzes import services as quizzes  # noqa: E402

REGIONS = ROOT / "tests" / "data" / "regions"
VILLAGE = "15.06.11.2004"
PASSWORD = "kata-sandi-bench-1"  # noqa: S105  (a throwaway database)


def make(url: str, folder: Path, device: str):
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "TESTING": True,
            "DEVICE_ID": device,
            "SQLALCHEMY_DATABASE_URI": url,
            "REGIONS_DATA_DIR": str(REGIONS),
            "SYNC_DIR": str(folder / "sync"),
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        run_setup(echo=lambda *_: None)
    return app


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return times


def in_savepoint(function):
    def run():
        with db.session.begin_nested():
            function()

    return run


def record_event(laptop, officer_id, participants: int, rng: random.Random):
    with laptop.app_context(), write_intent():
        officer = db.session.get(accounts.User, officer_id)
        event = events.create_event(
            title="Sosialisasi bench",
            village_code=VILLAGE,
            held_on=date.today(),
            place="Balai Desa",
            officer_ids=[officer.id],
            lesson_slugs=["apa-itu-paspor", "apa-itu-tppo"],
            actor=officer,
        )
        events.set_status(event, "open", officer)
        for index in range(participants):
            participation = events.register_villager(
                event,
                events.Registration(
                    name=f"Warga Bench {index}",
                    village_code=VILLAGE,
                    age_group=rng.choice(AGE_GROUPS[1:]),
                    gender=rng.choice(GENDERS),
                ),
            )
            for which, share in (("pre", 0.8), ("post", 1.0)):
                attempt, _token = events.start_test(participation, which)
                for item in attempt.items:
                    if rng.random() <= share:
                        quizzes.save_answer(
                            attempt, item["v"], [rng.choice(item["o"])], uuid.uuid4()
                        )
                quizzes.submit_attempt(attempt)
        events.set_status(event, "closed", officer)
        db.session.commit()
        first = bundle.export_event(event).path.read_bytes()
        db.session.commit()
        second = bundle.export_event(db.session.get(Event, event.id)).path.read_bytes()
        db.session.commit()
        found = records.read_event_bundle(event.id)
    return first, second, found


def measure(office_url: str, folder: Path, args) -> dict:
    rng = random.Random(1)
    folder.mkdir(parents=True, exist_ok=True)
    office = make(office_url, folder / "office", "office")
    laptop = make(f"sqlite:///{folder / 'laptop.db'}", folder / "laptop", "laptop-bench")
    with office.app_context(), write_intent():
        officer = accounts.create_user(
            username="petugas.bench",
            display_name="Petugas Bench",
            role=Role.OFFICER,
            password=PASSWORD,
        )
        admin = accounts.create_user(
            username="admin.bench",
            display_name="Admin Bench",
            role=Role.ADMIN,
            password=PASSWORD,
        )
        device, code = services.register_device("Laptop bench", [officer.id], admin)
        db.session.commit()
        officer_id = officer.id
    with laptop.app_context(), write_intent():
        key = identity.signing_key()
        with office.app_context(), write_intent():
            device, token = services.enrol(code, "laptop-bench", crypto.public_hex(key))
            office_public = services.office_public_key()
            snapshot = pull.snapshot(device)
            db.session.commit()
        pull.empty_content()
        identity.save_enrolment(
            {
                "office_url": "http://bench.invalid",
                "token": token,
                "device_name": "Laptop bench",
                "office_public_key": office_public,
                "office_device_key": "office",
            }
        )
        pull.apply(snapshot)
        db.session.commit()
    started = time.perf_counter()
    first, second, found = record_event(laptop, officer_id, args.participants, rng)
    recorded = time.perf_counter() - started
    counts = {kind: len(v) for kind, v in found.items()}
    figures = {"records": counts, "bytes": len(first), "recorded_s": recorded}
    with office.app_context(), write_intent():

        def open_only():
            sealed = crypto.read_header(first)
            crypto.verify(sealed, crypto.public_hex(key))
            crypto.open_payload(sealed, identity.office_key())

        def import_first():
            imports.import_bundle(first, via="command", actor_name="bench")

        def both(second_too):
            def run():
                imports.import_bundle(first, via="command", actor_name="bench")
                started = time.perf_counter()
                imports.import_bundle(
                    second if second_too else first, via="command", actor_name="bench"
                )
                run.last = (time.perf_counter() - started) * 1000

            return run

        def floor():
            for kind in records.KINDS:
                records.insert_many(
                    kind, [(i, content, local) for i, (content, local) in found[kind].items()]
                )

        figures["open"] = timed(open_only, args.repeat)
        figures["import"] = timed(in_savepoint(import_first), args.repeat)
        figures["floor"] = timed(in_savepoint(floor), args.repeat)
        for name, second_too in (("again", False), ("newer", True)):
            runner = both(second_too)
            values = []
            for _ in range(args.repeat):
                with db.session.begin_nested():
                    runner()
                values.append(runner.last)
                db.session.rollback()
            figures[name] = values
    for app in (office, laptop):
        with app.app_context():
            db.engine.dispose()
    return figures


def report(name: str, figures: dict) -> None:
    def cell(values):
        return f"{statistics.median(values):8.1f} {max(values):8.1f}"

    print(f"\n{name}: bundle {figures['bytes'] / 1024:.1f} KiB, records {figures['records']}")
    print(f"  recording it on the laptop (real services): {figures['recorded_s']:.1f} s")
    print(f"  {'phase':<8} {'median':>8} {'max':>8}  (ms)")
    for phase in ("open", "import", "again", "newer", "floor"):
        print(f"  {phase:<8} {cell(figures[phase])}")
    ratio = statistics.median(figures["import"]) / statistics.median(figures["floor"])
    print(f"  import / floor: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--participants", type=int, default=60)
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        report(
            "SQLite office", measure(f"sqlite:///{folder / 'office.db'}", folder / "sqlite", args)
        )
        if args.postgres_url:
            name = f"bench_sync_{__import__('os').getpid()}"
            admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = (
                    make_url(args.postgres_url)
                    .set(database=name)
                    .render_as_string(hide_password=False)
                )
                report("PostgreSQL office", measure(url, folder / "postgres", args))
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
