"""Tables every room writes to: the audit log."""

import uuid

from sqlalchemy import JSON, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from learning.core.time import UTCDateTime, utcnow
from learning.extensions import db


class AuditEntry(db.Model):
    """Who did what to which record, and when."""

    __tablename__ = "audit_entry"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    # The actor's name is copied, so the entry still reads right after the account is gone.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    actor_name: Mapped[str] = mapped_column(String(120), default="sistem")
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_audit_entry_target", "target_type", "target_id"),)


class Setting(db.Model):
    """A small named value kept by the app itself (for example the hash of loaded data)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class LegalInstrument(db.Model):
    """A law or regulation that content may cite, from content/instruments.yml."""

    __tablename__ = "legal_instrument"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)  # "UU 6/2011"
    name: Mapped[str] = mapped_column(String(200))
    about: Mapped[str] = mapped_column(String(300))


class LegalProvision(db.Model):
    """A cited provision; the office marks it changed when the law changes (flagging content)."""

    __tablename__ = "legal_provision"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(120), unique=True)  # "UU 21/2007 Pasal 2"
    instrument_key: Mapped[str] = mapped_column(ForeignKey("legal_instrument.key"), index=True)
    changed_at = mapped_column(UTCDateTime, nullable=True)
    changed_note: Mapped[str | None] = mapped_column(String(500))
    changed_by_name: Mapped[str | None] = mapped_column(String(120))

    @property
    def is_changed(self) -> bool:
        return self.changed_at is not None
