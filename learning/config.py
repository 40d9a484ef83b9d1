"""Configuration: defaults here, secrets and addresses from the environment."""

import os
import secrets
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read_or_create(path: Path, make) -> str:
    """Return the value kept in `path`, creating it once with `make()`."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    # Created readable by the owner only: it guards every session of the app.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    return value


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def engine_options(database_url: str, threads: int = 8) -> dict:
    """Pool settings: a connection per server thread; pre-ping only where a server can go away."""
    if database_url.startswith("sqlite"):
        return {"pool_pre_ping": False}
    return {"pool_pre_ping": True, "pool_size": threads, "max_overflow": threads}


def from_environment(instance_path: str) -> dict:
    """Build the configuration for an instance folder from environment variables."""
    instance = Path(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'sadar-imigrasi.db'}"
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY")
        or read_or_create(instance / "secret_key", lambda: secrets.token_hex(32)),
        # The device that creates records here; field laptops and the office each have one,
        # so records made offline keep their origin when they are merged later.
        "DEVICE_ID": os.environ.get("DEVICE_ID")
        or read_or_create(instance / "device_id", lambda: uuid.uuid4().hex[:12]),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "HOST": host,
        "PORT": port,
        # The address printed on posters and encoded in QR codes.
        "PUBLIC_URL": os.environ.get("PUBLIC_URL") or f"http://{host}:{port}",
        "SESSION_COOKIE_SECURE": _flag("SECURE_COOKIES"),
        "REMEMBER_COOKIE_SECURE": _flag("SECURE_COOKIES"),
        "PREFERRED_URL_SCHEME": "https" if _flag("SECURE_COOKIES") else "http",
        "PROXY_FIX": _flag("PROXY_FIX"),
    }


class Defaults:
    """Settings that are the same everywhere unless a test overrides them."""

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # A kiosk quiz page may stay open through a whole event: tokens live as long as the
    # session (a signed token bound to it) instead of expiring after an hour.
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Tablets keep CSS, JS and images an hour instead of asking again on every page.
    SEND_FILE_MAX_AGE_DEFAULT = 3600
    # Login throttling: failures allowed in the window, per account and per client address.
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
    REGIONS_DATA_DIR = str(ROOT / "learning" / "regions" / "data")
    CONTENT_DIR = str(ROOT / "content")
    # A reviewed lesson comes back to the review list after this many days.
    LESSON_REVIEW_MAX_AGE_DAYS = 365
    # Kiosk tablets: the welcome and result screens reset after this idle time; in the middle
    # of the flow a pause only asks "Masih di sini?", and the reset follows if nobody answers.
    KIOSK_IDLE_SECONDS = 90
    KIOSK_STILL_THERE_SECONDS = 180
    # Villagers' personal data is removed or anonymised after this (stated in the consent text).
    VILLAGER_DATA_RETENTION_DAYS = 730
