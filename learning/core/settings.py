"""Read and write the app's own small named values."""

from learning.core.models import Setting
from learning.extensions import db


def get_setting(key: str) -> str | None:
    """Return the value kept under `key`, or None."""
    row = db.session.get(Setting, key)
    return row.value if row else None


def put_setting(key: str, value: str) -> None:
    """Keep `value` under `key` (the caller commits)."""
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
