"""Where this instance keeps its sync keys, and whether it is a field laptop or the office.

A laptop is a field device once it has enrolled with the office (instance/sync/enrolment.json:
the office's address and public key, and the laptop's push/pull token). Every other instance is
an office: it holds the X25519 key bundles are encrypted for.
"""

import json
import os
from pathlib import Path

from flask import current_app

from learning.sync import crypto


def sync_dir() -> Path:
    return Path(current_app.config.get("SYNC_DIR") or Path(current_app.instance_path) / "sync")


def enrolment() -> dict | None:
    """The laptop's enrolment with the office, or None on the office (or before enrolling)."""
    path = sync_dir() / "enrolment.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def is_field_device() -> bool:
    return enrolment() is not None


def save_enrolment(data: dict) -> None:
    """Write the enrolment (it holds the push token: readable by the owner only)."""
    path = sync_dir() / "enrolment.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    temporary.replace(path)


def signing_key():
    """This laptop's Ed25519 key: it signs every bundle the laptop writes."""
    return crypto.signing_key(sync_dir() / "device.key")


def office_key():
    """The office's X25519 key: bundles are encrypted for its public half."""
    return crypto.office_key(sync_dir() / "office.key")


def device_key() -> str:
    """This instance's device id (what its records carry as origin_device)."""
    return current_app.config["DEVICE_ID"]


def outbox() -> Path:
    return sync_dir() / "outbox"


def sent() -> Path:
    return sync_dir() / "sent"
