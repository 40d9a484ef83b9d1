"""Lessons, their versions (by content hash) and completions."""

import uuid

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.accounts.models import User
from learning.core.ids import StableIdMixin
from learning.core.models import LegalProvision
from learning.core.time import UTCDateTime, utcnow
from learning.extensions import db

# Same lesson, same content: the same version id on every machine.
VERSION_NAMESPACE = uuid.UUID("6f1d3c1e-5b0a-4f7e-9b1c-2d4e6a8c0f12")

lesson_version_provision = Table(
    "lesson_version_provision",
    db.metadata,
    Column(
        "version_id", Uuid, ForeignKey("lesson_version.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("provision_id", Integer, ForeignKey("legal_provision.id"), primary_key=True, index=True),
)


class Lesson(db.Model):
    """A lesson of a track; its text lives in versions."""

    __tablename__ = "lesson"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    track: Mapped[str] = mapped_column(String(40), index=True)
    order: Mapped[int] = mapped_column()
    audience: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(80))
    file_path: Mapped[str | None] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(default=True)
    # The version learners see, and the version last loaded from the lesson's file. They
    # differ after an edit in the browser; a file change then is a conflict, kept as both.
    current_version_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("lesson_version.id", use_alter=True, name="fk_lesson_current_version")
    )
    file_version_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("lesson_version.id", use_alter=True, name="fk_lesson_file_version")
    )
    has_conflict: Mapped[bool] = mapped_column(default=False)

    current_version: Mapped["LessonVersion"] = relationship(
        foreign_keys=[current_version_id], post_update=True, lazy="joined"
    )
    file_version: Mapped["LessonVersion"] = relationship(
        foreign_keys=[file_version_id], post_update=True
    )


class LessonVersion(db.Model):
    """One text of a lesson, identified by the hash of its content."""

    __tablename__ = "lesson_version"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    # Numbered by the office's server in the order versions arrive there.
    number: Mapped[int | None] = mapped_column()
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    key_points: Mapped[list] = mapped_column(JSON, default=list)
    sources: Mapped[list] = mapped_column(JSON, default=list)
    minutes: Mapped[int] = mapped_column()
    illustration: Mapped[str | None] = mapped_column(String(200))
    read_aloud: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(20))  # "file" or "browser"
    requires_reread: Mapped[bool] = mapped_column(default=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_name: Mapped[str | None] = mapped_column(String(120))
    # Legal review by the office; never pre-filled. None means "Draf — belum ditinjau".
    reviewed_at = mapped_column(UTCDateTime, nullable=True)
    reviewed_by_name: Mapped[str | None] = mapped_column(String(120))

    lesson: Mapped[Lesson] = relationship(foreign_keys=[lesson_id])
    provisions: Mapped[list[LegalProvision]] = relationship(
        secondary=lesson_version_provision, lazy="selectin"
    )

    __table_args__ = (
        UniqueConstraint("lesson_id", "content_hash"),
        UniqueConstraint("lesson_id", "number"),
    )

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None

    @staticmethod
    def make_id(slug: str, content_hash: str) -> uuid.UUID:
        return uuid.uuid5(VERSION_NAMESPACE, f"{slug}:{content_hash}")


class Completion(StableIdMixin, db.Model):
    """A learner finished a lesson version (by reading it, or by passing its practice quiz)."""

    __tablename__ = "lesson_completion"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("lesson_version.id"))
    via: Mapped[str] = mapped_column(String(20))  # "read" or "quiz"

    user: Mapped[User] = relationship()
    version: Mapped[LessonVersion] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("user_id", "version_id"),)
