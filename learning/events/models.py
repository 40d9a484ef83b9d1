"""Events, villagers' participations and consents, kiosk sessions, help calls, duplicates."""

import uuid

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    and_,
    case,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.accounts.models import User
from learning.core.ids import StableIdMixin
from learning.core.time import UTCDateTime
from learning.extensions import db
from learning.regions.models import Village

event_officer = Table(
    "event_officer",
    db.metadata,
    Column("event_id", Uuid, ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Uuid, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)
event_village = Table(
    "event_village",
    db.metadata,
    Column("event_id", Uuid, ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("village_code", ForeignKey("village.code"), primary_key=True, index=True),
)

AGE_GROUPS = ("<18", "18-25", "26-35", "36-45", "46-55", ">55")
GENDERS = ("perempuan", "laki-laki")


class Event(StableIdMixin, db.Model):
    """A sosialisasi: where, when, who teaches, which lessons and tests."""

    __tablename__ = "event"

    title: Mapped[str] = mapped_column(String(200))
    village_code: Mapped[str] = mapped_column(ForeignKey("village.code"), index=True)
    held_on = mapped_column(Date, nullable=False)
    place: Mapped[str] = mapped_column(String(200))
    lesson_slugs: Mapped[list] = mapped_column(JSON)
    pretest_slug: Mapped[str] = mapped_column(String(80))
    posttest_slug: Mapped[str] = mapped_column(String(80))
    join_code: Mapped[str] = mapped_column(String(6), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled|open|closed
    # The questions printed on the paper sheets ({"pre": items, "post": items}), fixed when first
    # printed so that answers entered afterwards match the sheet.
    paper_items: Mapped[dict | None] = mapped_column(JSON)
    closed_at = mapped_column(UTCDateTime, nullable=True)
    # When the office first received the event from a field laptop (None: made here). Its
    # certification date is the earlier of held_on and this, so a laptop clock running ahead
    # cannot move it later than the office saw it.
    received_on = mapped_column(Date, nullable=True)
    # An open sync conflict on the event itself: held out of every count until resolved.
    sync_hold: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="SET NULL")
    )

    village: Mapped[Village] = relationship(lazy="joined")
    villages: Mapped[list[Village]] = relationship(secondary=event_village, order_by=Village.code)
    officers: Mapped[list[User]] = relationship(secondary=event_officer, order_by=User.display_name)

    @classmethod
    def counted_on(cls):
        """The date certification counts the event on (SQL): held_on, or the day the office
        received it when that is earlier."""
        return case(
            (and_(cls.received_on.is_not(None), cls.received_on < cls.held_on), cls.received_on),
            else_=cls.held_on,
        )


class VillagerProfile(StableIdMixin, db.Model):
    """What a villager gave at registration: the minimum, no NIK. Removed when retention ends."""

    __tablename__ = "villager_profile"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    village_code: Mapped[str | None] = mapped_column(ForeignKey("village.code"), index=True)
    # The participant card: a returning villager shows it to skip registration.
    card_code: Mapped[str] = mapped_column(String(12), unique=True)
    name_key: Mapped[str] = mapped_column(String(120), index=True)  # normalised, for duplicates
    gender: Mapped[str | None] = mapped_column(String(20))
    age_group: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(30))
    anonymised_at = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(lazy="joined")
    village: Mapped[Village | None] = relationship()


class Participation(StableIdMixin, db.Model):
    """A villager at one event: consent, registration answers, pre- and post-test attempts."""

    __tablename__ = "participation"

    event_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column()  # participant number at this event (paper sheets)
    age_group: Mapped[str | None] = mapped_column(String(10))
    gender: Mapped[str | None] = mapped_column(String(20))
    # Under 18 without a parent's or guardian's consent: takes part, is not counted.
    is_counted: Mapped[bool] = mapped_column(default=True)
    registered_by: Mapped[str] = mapped_column(String(20), default="self")  # self | officer
    step: Mapped[str] = mapped_column(
        String(20), default="pretest"
    )  # pretest|lessons|posttest|done
    pretest_attempt_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    posttest_attempt_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    withdrawn_at = mapped_column(UTCDateTime, nullable=True)
    # An open sync conflict on this participation or its records: not counted until resolved.
    sync_hold: Mapped[bool] = mapped_column(default=False, server_default=false())

    event: Mapped[Event] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("event_id", "number"),
        UniqueConstraint("event_id", "user_id"),
    )


class Consent(StableIdMixin, db.Model):
    """A recorded consent: which text version, when, by whom (self or a guardian)."""

    __tablename__ = "consent"

    participation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("participation.id", ondelete="CASCADE"), index=True
    )
    text_version: Mapped[str] = mapped_column(String(40))
    given_by: Mapped[str] = mapped_column(String(20))  # self | guardian
    withdrawn_at = mapped_column(UTCDateTime, nullable=True)


class KioskSession(StableIdMixin, db.Model):
    """A tablet turned into a kiosk for one event by an officer; no office rights."""

    __tablename__ = "kiosk_session"

    event_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    officer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(40))  # "Tablet 3"
    ended_at = mapped_column(UTCDateTime, nullable=True)

    event: Mapped[Event] = relationship(lazy="joined")
    officer: Mapped[User] = relationship()


class HelpCall(StableIdMixin, db.Model):
    """A 'Panggil petugas' press on a kiosk, shown on the officer's event page until answered."""

    __tablename__ = "help_call"

    event_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    where: Mapped[str] = mapped_column(String(60))
    answered_at = mapped_column(UTCDateTime, nullable=True)


class DuplicateCandidate(StableIdMixin, db.Model):
    """A new registration that may be a villager already known (same name and village)."""

    __tablename__ = "duplicate_candidate"

    participation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("participation.id", ondelete="CASCADE"), index=True
    )
    existing_user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|confirmed|rejected
    decided_at = mapped_column(UTCDateTime, nullable=True)
    decided_by_name: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)

    participation: Mapped[Participation] = relationship()
    existing_user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_duplicate_candidate_status", "status"),)
