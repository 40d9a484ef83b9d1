"""Backups of the SQLite database while answers are being saved; checks; restore; rotation."""

import random
import re
import shutil
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest

from learning.accounts.models import Role
from learning.backup_cli import backup_group
from learning.cli import load_content
from learning.core.backup import (
    BackupError,
    backup_sqlite,
    check_database,
    restore_sqlite,
    sqlite_path,
)
from learning.core.database import write_intent
from learning.extensions import db
from quizzes import services as quizzes
from tests.conftest import database_url, is_postgres, make_test_app

pytestmark = pytest.mark.skipif(
    is_postgres(database_url(Path("."))),
    reason="SQLite's backup API; PostgreSQL is backed up with pg_dump (README)",
)

WRITERS = 4
ATTEMPTS_PER_WRITER = 15  # 10 questions each: 150 answers a writer at most


@pytest.fixture
def live_db(app) -> Path:
    """The session's database file: the one the app and the writers use."""
    return sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])


@pytest.fixture
def backup_file(live_db, tmp_path) -> Path:
    return backup_sqlite(live_db, tmp_path / "cadangan").path


@pytest.fixture
def target(backup_file, tmp_path) -> Path:
    """A database in use at a field laptop: a copy of the backup, plus one row of its own."""
    path = tmp_path / "laptop" / "sadar-imigrasi.db"
    path.parent.mkdir()
    shutil.copyfile(backup_file, path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("INSERT INTO setting (key, value) VALUES ('penanda', 'sebelum pulih')")
    conn.close()
    return path


def marker(path: Path) -> str | None:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM setting WHERE key = 'penanda'").fetchone()
    finally:
        conn.close()
    return row and row[0]


def folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def stored_client_ids(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        # Uuid columns are 32 hex digits on SQLite.
        return {row[0] for row in conn.execute("SELECT client_answer_id FROM quiz_answer")}
    finally:
        conn.close()


def test_backup_under_load_holds_every_answer_committed_before_it(
    app, live_db, make_user, tmp_path
):
    load_content(echo=lambda *_: None)
    db.session.commit()
    officer = make_user(role=Role.OFFICER)
    quiz = quizzes.get_quiz("pre-test-warga")
    shares = []
    with write_intent():
        for writer in range(WRITERS):
            share = []
            for k in range(ATTEMPTS_PER_WRITER):
                attempt, _token = quizzes.start_attempt(
                    officer, quiz, context=f"cadangan-{writer}-{k}", rng=random.Random(k)
                )
                share += [(attempt.id, item["v"], item["o"][0]) for item in attempt.items]
            shares.append(share)
        db.session.commit()

    committed: list[str] = []  # client ids, in the order their commit returned
    stop, failures = threading.Event(), []

    def writer(share):
        try:
            with app.app_context():
                for attempt_id, version, choice in share:
                    if stop.is_set():
                        return
                    client_id = uuid.uuid4()
                    with write_intent():
                        attempt = quizzes.get_attempt(attempt_id)
                        quizzes.save_answer(attempt, version, [choice], client_id)
                        db.session.commit()
                    committed.append(client_id.hex)
        except Exception as exc:  # the test reports it below
            failures.append(repr(exc))

    threads = [threading.Thread(target=writer, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    during = []

    def progress(status, remaining, total):
        # Mid-copy, the writers must go on committing: wait until they have, a few times.
        if not during:
            mark = len(committed)
            deadline = time.monotonic() + 10
            while len(committed) < mark + 10 and time.monotonic() < deadline:
                time.sleep(0.01)
            during.append(len(committed) - mark)

    try:
        deadline = time.monotonic() + 10
        while len(committed) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        before = set(committed)
        result = backup_sqlite(live_db, tmp_path, progress=progress, step_pages=16)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not failures, failures
    assert len(before) >= 40
    assert during and during[0] >= 10, "answers were not saved while the backup was copying"
    assert check_database(result.path) == []
    in_backup = stored_client_ids(result.path)
    assert before <= in_backup
    assert in_backup <= set(committed) and len(in_backup) < len(committed)
    assert re.fullmatch(r"sadar-imigrasi-\d{8}-\d{6}\.db", result.path.name)
    # One file, nothing beside it: what a USB stick carries.
    assert [p.name for p in tmp_path.iterdir()] == [result.path.name]
    restored = restore_sqlite(result.path, tmp_path / "pulih" / "sadar-imigrasi.db")
    assert check_database(restored.db_path) == []
    assert stored_client_ids(restored.db_path) == in_backup


def test_restore_replaces_the_database_and_keeps_the_previous_one_aside(backup_file, target):
    result = restore_sqlite(backup_file, target)
    assert marker(target) is None
    assert result.previous is not None and marker(result.previous) == "sebelum pulih"
    assert re.fullmatch(r"sadar-imigrasi\.sebelum-pulih-\d{8}-\d{6}\.db", result.previous.name)
    assert check_database(target) == []
    assert sorted(p.name for p in target.parent.iterdir()) == sorted(
        [target.name, result.previous.name]
    )


def test_restore_onto_a_new_laptop_needs_no_previous_database(backup_file, tmp_path):
    target = tmp_path / "baru" / "sadar-imigrasi.db"
    result = restore_sqlite(backup_file, target)
    assert result.previous is None and check_database(target) == []


def test_restore_refuses_a_corrupt_file_and_changes_nothing(target, tmp_path):
    corrupt = tmp_path / "rusak.db"
    corrupt.write_bytes(b"bukan basis data, hanya sampah " * 400)
    before = folder_state(target.parent)
    with pytest.raises(BackupError, match="bukan basis data SQLite atau rusak"):
        restore_sqlite(corrupt, target)
    assert folder_state(target.parent) == before


def test_restore_refuses_a_truncated_backup(backup_file, target, tmp_path):
    truncated = tmp_path / "terpotong.db"
    truncated.write_bytes(backup_file.read_bytes()[: backup_file.stat().st_size // 2])
    before = folder_state(target.parent)
    with pytest.raises(BackupError, match="tidak dipulihkan; basis data tidak diubah"):
        restore_sqlite(truncated, target)
    assert folder_state(target.parent) == before


@pytest.mark.parametrize("tables", [[], ["CREATE TABLE catatan (id INTEGER, isi TEXT)"]])
def test_restore_refuses_a_database_of_another_app(target, tmp_path, tables):
    other = tmp_path / "aplikasi-lain.db"
    conn = sqlite3.connect(other)
    for statement in tables:
        conn.execute(statement)
    conn.close()
    before = folder_state(target.parent)
    with pytest.raises(BackupError, match="bukan basis data Sadar Imigrasi"):
        restore_sqlite(other, target)
    assert folder_state(target.parent) == before


def test_check_names_a_backup_of_another_schema_version(backup_file):
    with sqlite3.connect(backup_file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'abc123'")
    conn.close()
    (problem,) = check_database(backup_file)
    assert "Versi skema abc123" in problem


def test_a_backup_made_by_an_older_version_of_the_app_is_accepted(backup_file):
    """Restored after an upgrade, it is upgraded by `run` like any older database."""
    with sqlite3.connect(backup_file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '1bba36cb7644'")  # issue 5's
    conn.close()
    assert check_database(backup_file) == []


@pytest.mark.parametrize("other_holds", ["a write transaction", "an idle connection"])
def test_restore_refuses_while_the_database_is_open_elsewhere(backup_file, target, other_holds):
    other = sqlite3.connect(target, isolation_level=None)
    other.execute("PRAGMA journal_mode=WAL")
    if other_holds == "a write transaction":
        other.execute("BEGIN IMMEDIATE")
    else:  # a server between requests: its pooled connection has read and stays open
        other.execute("SELECT count(*) FROM setting").fetchone()
    try:
        before = folder_state(target.parent)
        with pytest.raises(BackupError, match="sedang dipakai"):
            restore_sqlite(backup_file, target, lock_timeout=0.2)
        assert folder_state(target.parent) == before
    finally:
        other.close()
    assert marker(target) == "sebelum pulih"


def test_rotation_keeps_the_newest_backups_and_nothing_else_is_touched(live_db, tmp_path):
    folder = tmp_path / "cadangan"
    folder.mkdir()
    old = [folder / f"sadar-imigrasi-2020010{day}-180000.db" for day in range(1, 6)]
    others = [folder / "catatan.txt", folder / "sadar-imigrasi-salinan-saya.db"]
    for path in old + others:
        path.write_bytes(b"x")
    result = backup_sqlite(live_db, folder, keep=3)
    kept = sorted(p.name for p in folder.iterdir() if p not in others)
    assert kept == sorted([old[3].name, old[4].name, result.path.name])
    assert sorted(result.removed) == old[:3]
    assert all(path.exists() for path in others)


def test_backup_refuses_postgresql_and_points_to_pg_dump():
    with pytest.raises(BackupError, match="pg_dump -Fc"):
        sqlite_path("postgresql+psycopg://postgres@127.0.0.1:5432/sadar")


@pytest.fixture
def cli(target, tmp_path):
    """The backup commands on an app whose database is `target` (registered for tests only)."""
    laptop = make_test_app(f"sqlite:///{target}", tmp_path / "instance")
    laptop.cli.add_command(backup_group)
    # Its own app context: `with_appcontext` would otherwise use the session app's.
    with laptop.app_context():
        yield laptop.test_cli_runner()
        db.engine.dispose()


def test_backup_commands_create_check_and_restore(cli, target, tmp_path):
    created = cli.invoke(args=["backup", "create", "--to", str(tmp_path / "usb"), "--keep", "2"])
    assert created.exit_code == 0, created.output
    assert re.search(
        r"Cadangan dibuat: .*sadar-imigrasi-\d{8}-\d{6}\.db \(\d+\.\d MB, ", created.output
    )
    (made,) = (tmp_path / "usb").iterdir()

    checked = cli.invoke(args=["backup", "check", str(made)])
    assert checked.exit_code == 0 and "lolos pemeriksaan" in checked.output

    garbage = tmp_path / "sampah.db"
    garbage.write_bytes(b"\x00\xff" * 3000)
    refused = cli.invoke(args=["backup", "check", str(garbage)])
    assert refused.exit_code == 1 and "tidak lolos pemeriksaan" in refused.output

    with sqlite3.connect(target) as conn:  # a change after the backup, which restore undoes
        conn.execute("UPDATE setting SET value = 'sesudah cadangan' WHERE key = 'penanda'")
    conn.close()
    declined = cli.invoke(args=["backup", "restore", str(made)], input="n\n")
    assert declined.exit_code == 1 and marker(target) == "sesudah cadangan"

    restored = cli.invoke(args=["backup", "restore", str(made), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "Basis data dipulihkan" in restored.output and "sebelumnya disimpan" in restored.output
    assert marker(target) == "sebelum pulih"


def test_backup_command_on_postgresql_points_to_pg_dump(tmp_path):
    office = make_test_app("postgresql+psycopg://postgres@127.0.0.1:5432/kantor", tmp_path)
    office.cli.add_command(backup_group)
    with office.app_context():
        result = office.test_cli_runner().invoke(args=["backup", "create"])
    assert result.exit_code == 1 and "pg_dump -Fc" in result.output
