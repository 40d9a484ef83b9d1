"""Login throttling shared by every worker process: in the database, or in Redis."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from learning.accounts.models import LoginFailure
from learning.core.time import utcnow
from learning.extensions import db


class DatabaseThrottle:
    """Failures as rows; a sliding window; survives restarts; needs no other service."""

    def __init__(self, window_seconds: int):
        self.window = timedelta(seconds=window_seconds)

    def failures(self, key: str) -> int:
        since = utcnow() - self.window
        return db.session.scalar(
            select(func.count()).where(LoginFailure.key == key, LoginFailure.at > since)
        )

    def add_failure(self, key: str) -> None:
        now = utcnow()
        db.session.execute(delete(LoginFailure).where(LoginFailure.at <= now - self.window))
        db.session.add(LoginFailure(key=key, at=now))

    def clear(self, key: str) -> None:
        db.session.execute(delete(LoginFailure).where(LoginFailure.key == key))


class RedisThrottle:
    """Failures as an atomic counter that expires a window after the first failure."""

    def __init__(self, url: str, window_seconds: int):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.window = window_seconds

    def _key(self, key: str) -> str:
        return f"sadar-imigrasi:login-failures:{key}"

    def failures(self, key: str) -> int:
        return int(self.redis.get(self._key(key)) or 0)

    def add_failure(self, key: str) -> None:
        pipe = self.redis.pipeline()
        pipe.incr(self._key(key))
        pipe.expire(self._key(key), self.window, nx=True)
        pipe.execute()

    def clear(self, key: str) -> None:
        self.redis.delete(self._key(key))


def get_throttle():
    """Return the throttle store configured for this app."""
    config = current_app.config
    window = config["LOGIN_FAILURE_WINDOW_SECONDS"]
    if config.get("REDIS_URL"):
        store = current_app.extensions.get("login_throttle")
        if store is None:
            store = current_app.extensions["login_throttle"] = RedisThrottle(
                config["REDIS_URL"], window
            )
        return store
    return DatabaseThrottle(window)


def account_key(username: str) -> str:
    return f"account:{username.strip().lower()}"


def address_key(address: str | None) -> str:
    return f"address:{address or 'unknown'}"
