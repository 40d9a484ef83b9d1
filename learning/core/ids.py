"""Stable ids: records made on a field laptop keep their id and origin when merged."""

import uuid

from flask import current_app, has_app_context
from sqlalchemy import String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from learning.core.time import UTCDateTime, utcnow


def current_device() -> str:
    """Return the id of the device this app runs on."""
    if has_app_context():
        return current_app.config["DEVICE_ID"]
    return "unknown"


class StableIdMixin:
    """A UUID primary key, the device that created the record, and its creation time."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    origin_device: Mapped[str] = mapped_column(String(40), default=current_device)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
