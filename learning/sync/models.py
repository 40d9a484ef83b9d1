"""Devices, received bundles, the versions of synced records, and their conflicts."""

import uuid

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.accounts.models import User
from learning.core.time import UTCDateTime, utcnow
from learning.extensions import db

device_officer = Table(
    "device_officer",
    db.metadata,
    Column("device_id", Uuid, ForeignKey("device.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Uuid, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)


class Device(db.Model):
    """A field laptop registered at the office: its signing key and its push/pull credential."""

    __tablename__ = "device"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(80))
    # The laptop's DEVICE_ID (what its records carry as origin_device), set at enrolment.
    device_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    public_key: Mapped[str | None] = mapped_column(String(64))  # Ed25519, hex
    # SHA-256 of the one-time enrolment code, until the laptop enrols with it.
    enrol_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enrol_expires_at = mapped_column(UTCDateTime, nullable=True)
    # SHA-256 of the bearer token the laptop pushes and pulls with.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_name: Mapped[str] = mapped_column(String(120))
    enrolled_at = mapped_column(UTCDateTime, nullable=True)
    last_seen_at = mapped_column(UTCDateTime, nullable=True)
    revoked_at = mapped_column(UTCDateTime, nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_by_name: Mapped[str | None] = mapped_column(String(120))

    officers: Mapped[list[User]] = relationship(
        secondary=device_officer, order_by=User.display_name, lazy="selectin"
    )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class BundleReceipt(db.Model):
    """A bundle the office imported: who sent it, the device's clock, what it changed."""

    __tablename__ = "bundle_receipt"

    bundle_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("device.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column()
    format_version: Mapped[int] = mapped_column()
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    event_title: Mapped[str] = mapped_column(String(200))
    exported_at = mapped_column(UTCDateTime, nullable=False)  # the laptop's clock
    received_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)  # the office's
    # exported_at - received_at in seconds: a wrong laptop clock shows here.
    clock_offset_seconds: Mapped[int] = mapped_column()
    clock_flagged: Mapped[bool] = mapped_column(default=False)
    sha256: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(20))  # upload | push | command
    received_by_name: Mapped[str] = mapped_column(String(120))
    counts: Mapped[dict] = mapped_column(JSON, default=dict)

    device: Mapped[Device] = relationship(lazy="joined")


class SyncVersion(db.Model):
    """The latest version of a synced record each device sent (or the office made).

    `parents` are the hashes of the versions this one was made from: the office's version of an
    event a laptop pulled before holding it, or the versions an admin chose between. A version
    made from another replaces it; two that replace neither are a conflict. `content` is what
    the version said, to write it when it wins; it is cleared when a villager's data is removed.
    """

    __tablename__ = "sync_version"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    device_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    parents: Mapped[list] = mapped_column(JSON, default=list)
    content: Mapped[dict | None] = mapped_column(JSON)
    received_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class SyncRecord(db.Model):
    """What the sync last wrote into a record, to tell the office's own later edits apart."""

    __tablename__ = "sync_record"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    applied_hash: Mapped[str] = mapped_column(String(64))  # the version written
    written_hash: Mapped[str] = mapped_column(String(64))  # the record as it read after


class SyncConflict(db.Model):
    """A record whose id arrived with different content: held out of the counts until resolved."""

    __tablename__ = "sync_conflict"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    participation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    hashes: Mapped[list] = mapped_column(JSON)  # the competing versions, sorted
    opened_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    resolved_at = mapped_column(UTCDateTime, nullable=True)
    resolved_hash: Mapped[str | None] = mapped_column(String(64))
    resolved_by_name: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_sync_conflict_record", "kind", "record_id", unique=True),)


class VillagerAlias(db.Model):
    """A villager a laptop registered who is a villager the office knows (same card code)."""

    __tablename__ = "villager_alias"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    same_as_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    card_code: Mapped[str] = mapped_column(String(12))
