"""Backups of the SQLite database while the app serves; checks of a copy; restore.

The copy is made with SQLite's online backup API inside one read transaction of the source:
under WAL a reader blocks no writer, so tablets keep saving answers, and the copy is the
database as it was when that transaction began. Copying in steps without holding a read
transaction would restart from the first page after every write of another connection, and
never finish while an event is running (measured: 3,000 steps without an end).

PostgreSQL is backed up with its own tools (`pg_dump -Fc`, `pg_restore`): see the README.
"""

import os
import re
import secrets
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from learning.core.database import BUSY_TIMEOUT_MS
from learning.core.time import WIB

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
BACKUP_PREFIX = "sadar-imigrasi-"
BACKUP_NAME = re.compile(r"^sadar-imigrasi-\d{8}-\d{6}\.db$")
KEEP_DEFAULT = 14
STEP_PAGES = 1024  # 4 MB a step at SQLite's default page size
# The tables without which a file is not this app's database.
MAIN_TABLES = (
    "alembic_version",
    "setting",
    "village",
    "office",
    "user_account",
    "audit_entry",
    "lesson",
    "question",
    "quiz",
    "quiz_attempt",
    "quiz_answer",
    "event",
    "participation",
)
PG_DUMP_HINT = (
    "Basis data ini PostgreSQL: perintah backup hanya untuk SQLite. Cadangkan dengan "
    "`pg_dump -Fc -f sadar-imigrasi.dump NAMA_DB` dan pulihkan dengan "
    "`pg_restore --clean --if-exists -d NAMA_DB sadar-imigrasi.dump` (lihat README, bagian "
    '"Cadangan (backup) dan pemulihan").'
)


class BackupError(Exception):
    """A backup, check or restore was refused; the message is for the operator."""


@dataclass
class BackupResult:
    path: Path
    size_bytes: int
    seconds: float
    removed: list[Path] = field(default_factory=list)

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1024 / 1024


@dataclass
class RestoreResult:
    db_path: Path
    previous: Path | None
    size_bytes: int
    seconds: float

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1024 / 1024


def sqlite_path(database_url: str) -> Path:
    """Return the file of a SQLite database URL; refuse PostgreSQL (pg_dump) and memory."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        raise BackupError(PG_DUMP_HINT)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(f"Basis data ini tidak dapat dicadangkan sebagai berkas: {url!r}.")
    return Path(url.database)


def stamp() -> str:
    """The time in file names: WIB, sortable (YYYYMMDD-HHMMSS)."""
    return datetime.now(WIB).strftime("%Y%m%d-%H%M%S")


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name == "posix":  # Windows cannot open a folder; NTFS journals the rename itself
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_with_sidecars(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def rotate(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest backups named like ours in `folder`, keeping the newest `keep`."""
    ours = sorted(p for p in folder.iterdir() if BACKUP_NAME.match(p.name) and p.is_file())
    old = ours[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return old


def backup_sqlite(
    db_path,
    target_path,
    keep: int | None = KEEP_DEFAULT,
    progress: Callable[[int, int, int], None] | None = None,
    step_pages: int = STEP_PAGES,
) -> BackupResult:
    """Copy a live SQLite database to `target_path` (a folder gets the dated default name)."""
    started = time.perf_counter()
    db_path, target = Path(db_path), Path(target_path)
    if not db_path.is_file():
        raise BackupError(f"Basis data tidak ditemukan: {db_path}")
    if target.is_dir() or target.suffix != ".db":  # a folder: the dated default name
        target.mkdir(parents=True, exist_ok=True)
        target = target / f"{BACKUP_PREFIX}{stamp()}.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    source = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        source.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Hold one read snapshot through every step: writers go on, the copy stays consistent.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        copy = sqlite3.connect(temp, isolation_level=None)
        try:
            source.backup(copy, pages=step_pages, progress=progress, sleep=0.05)
            # One self-contained file (no -wal beside it) that a USB stick can carry.
            copy.execute("PRAGMA journal_mode=DELETE")
            verdict = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        finally:
            copy.close()
        if verdict != ["ok"]:
            raise BackupError(
                "Salinan gagal pemeriksaan integritas; cadangan tidak disimpan: "
                + "; ".join(verdict[:5])
            )
        _fsync(temp)
        os.replace(temp, target)
        _fsync_dir(target.parent)
    except sqlite3.Error as exc:
        raise BackupError(
            f"Cadangan gagal: {exc}. Tidak ada berkas cadangan yang disimpan."
        ) from exc
    finally:
        source.close()
        _remove_with_sidecars(temp)
    removed = rotate(target.parent, keep) if keep else []
    return BackupResult(target, target.stat().st_size, time.perf_counter() - started, removed)


def migration_head(migrations_dir=None) -> str | None:
    """The newest revision of the app's migrations (what `setup` upgrades to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(migrations_dir or MIGRATIONS_DIR)).get_current_head()


def known_revisions(migrations_dir=None) -> set[str]:
    """Every revision of the app's migrations, the newest and all before it."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrations_dir or MIGRATIONS_DIR))
    return {revision.revision for revision in script.walk_revisions()}


def check_database(path, migrations_dir=None) -> list[str]:
    """Return the problems of a database file: integrity, foreign keys, schema version, tables."""
    path = Path(path)
    if not path.is_file():
        return [f"Berkas tidak ditemukan: {path}"]
    problems: list[str] = []
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return [f"Berkas tidak dapat dibuka sebagai basis data SQLite: {exc}"]
    try:
        verdict = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if verdict != ["ok"]:
            problems.append("Pemeriksaan integritas gagal: " + "; ".join(verdict[:5]))
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        missing = [t for t in MAIN_TABLES if t not in tables]
        if "alembic_version" in missing:
            problems.append(
                "Tidak ada tabel alembic_version: berkas ini bukan basis data Sadar Imigrasi."
            )
        elif missing:
            problems.append("Tabel utama tidak ada: " + ", ".join(missing) + ".")
        if "alembic_version" in tables:
            versions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
            # An older version of the app's own schema is fine: `run` (setup) upgrades it.
            known = known_revisions(migrations_dir)
            if len(versions) != 1 or versions[0] not in known:
                problems.append(
                    f"Versi skema {', '.join(versions) or '(kosong)'} tidak dikenal aplikasi "
                    f"ini (terbaru: {migration_head(migrations_dir)}): cadangan dari versi "
                    "aplikasi yang lebih baru atau dari aplikasi lain."
                )
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            names = sorted({row[0] for row in broken})
            problems.append(
                f"Rujukan antartabel rusak (foreign key): {len(broken)} baris, di tabel "
                + ", ".join(names)
                + "."
            )
    except sqlite3.DatabaseError as exc:
        problems.append(f"Berkas ini bukan basis data SQLite atau rusak ({exc}).")
    finally:
        conn.close()
    return problems


def _in_use(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc)
    )


def _set_aside(db_path: Path, lock_timeout: float) -> Path:
    """Copy the current database aside, after making sure nobody has it open."""
    aside = db_path.with_name(f"{db_path.stem}.sebelum-pulih-{stamp()}.db")
    conn = sqlite3.connect(db_path, timeout=lock_timeout, isolation_level=None)
    try:
        # BEGIN EXCLUSIVE alone waits only for writers under WAL; in EXCLUSIVE locking mode the
        # lock also fails while any other connection (an idle server) has the database open.
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("COMMIT")
        copy = sqlite3.connect(aside, isolation_level=None)
        try:
            conn.backup(copy)  # the -wal's committed pages are in the copy too
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    except sqlite3.Error as exc:
        Path(aside).unlink(missing_ok=True)
        if _in_use(exc):
            raise BackupError(
                "Basis data sedang dipakai (server masih berjalan?). Hentikan server "
                "Sadar Imigrasi dulu, lalu ulangi. Basis data tidak diubah."
            ) from exc
        # Unreadable (the reason to restore, perhaps): keep its bytes as they are.
        shutil.copy2(db_path, aside)
        for suffix in ("-wal", "-shm"):
            if Path(f"{db_path}{suffix}").exists():
                shutil.copy2(f"{db_path}{suffix}", f"{aside}{suffix}")
    finally:
        conn.close()
    _fsync(aside)
    return aside


def restore_sqlite(backup_path, db_path, migrations_dir=None, lock_timeout=1.0) -> RestoreResult:
    """Replace the database with a checked backup; keep the current one aside first."""
    started = time.perf_counter()
    backup_path, db_path = Path(backup_path), Path(db_path)
    if not backup_path.is_file():
        raise BackupError(f"Berkas cadangan tidak ditemukan: {backup_path}")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    # What is checked is the very copy that is put in place.
    temp = db_path.parent / f".{db_path.name}.pulih-{secrets.token_hex(4)}.tmp"
    try:
        shutil.copyfile(backup_path, temp)
        problems = check_database(temp, migrations_dir)
        if problems:
            raise BackupError(
                f"Cadangan {backup_path.name} tidak dipulihkan; basis data tidak diubah:\n"
                + "\n".join(f"- {p}" for p in problems)
            )
        for suffix in ("-journal", "-wal", "-shm"):  # left by the read-only check, empty
            Path(f"{temp}{suffix}").unlink(missing_ok=True)
        _fsync(temp)
        previous = _set_aside(db_path, lock_timeout) if db_path.exists() else None
        # A stale -wal would be replayed onto the restored file: remove it before the swap.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        os.replace(temp, db_path)
        _fsync_dir(db_path.parent)
    finally:
        _remove_with_sidecars(temp)
    return RestoreResult(db_path, previous, db_path.stat().st_size, time.perf_counter() - started)
