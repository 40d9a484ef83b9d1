"""The question bank (versioned like lessons), quizzes, attempts, answers, certification."""

import uuid

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.accounts.models import User
from learning.core.ids import StableIdMixin
from learning.core.time import UTCDateTime, utcnow
from learning.extensions import db

QUESTION_NAMESPACE = uuid.UUID("0c9a7d2e-4b1f-4f3a-8d6e-5a2b7c9e1f30")


class Question(db.Model):
    """A question of the bank; its wording lives in versions."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    track: Mapped[str] = mapped_column(String(40))
    topic: Mapped[str] = mapped_column(String(80))
    lesson_slug: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))  # single | multiple | truefalse
    difficulty: Mapped[int] = mapped_column()
    pool: Mapped[str | None] = mapped_column(String(10))  # villager pre | post
    is_active: Mapped[bool] = mapped_column(default=True)
    # As for lessons: the version shown, and the version last loaded from the file. They differ
    # after a browser edit; a file change then is a conflict that keeps both.
    current_version_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    file_version_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    has_conflict: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (Index("ix_question_draw", "track", "topic", "pool", "is_active"),)


class QuestionVersion(db.Model):
    """One wording of a question, identified by the hash of its content."""

    __tablename__ = "question_version"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column()
    content_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    # [{"id": "a1b2c3d4", "text": "...", "correct": true}]; ids stay when the text stays.
    options: Mapped[list] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text)
    citations: Mapped[list] = mapped_column(JSON)
    illustration: Mapped[str | None] = mapped_column(String(200))
    read_aloud: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(20), default="file")  # file | browser
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_name: Mapped[str | None] = mapped_column(String(120))
    # The office's review of this wording; never pre-filled.
    reviewed_at = mapped_column(UTCDateTime, nullable=True)
    reviewed_by_name: Mapped[str | None] = mapped_column(String(120))

    question: Mapped[Question] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("question_id", "content_hash"),)

    @property
    def correct_ids(self) -> set[str]:
        return {o["id"] for o in self.options if o.get("correct")}

    @staticmethod
    def make_id(key: str, content_hash: str) -> uuid.UUID:
        return uuid.uuid5(QUESTION_NAMESPACE, f"{key}:{content_hash}")


class Quiz(db.Model):
    """What an attempt draws and how it is run: topics, counts, pass mark, feedback."""

    __tablename__ = "quiz"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # practice | pretest | posttest | exam
    track: Mapped[str] = mapped_column(String(40))
    pool: Mapped[str | None] = mapped_column(String(10))
    lesson_slug: Mapped[str | None] = mapped_column(String(80))  # practice quizzes
    topics: Mapped[dict] = mapped_column(JSON)  # {topic: how many questions}
    pass_mark: Mapped[int] = mapped_column(default=70)
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    feedback: Mapped[str] = mapped_column(String(20))  # each | end | none
    max_attempts: Mapped[int | None] = mapped_column()
    time_limit_minutes: Mapped[int | None] = mapped_column()
    is_active: Mapped[bool] = mapped_column(default=True)


class QuizAttempt(StableIdMixin, db.Model):
    """One person taking one quiz: the questions drawn, and after submitting, the result."""

    __tablename__ = "quiz_attempt"

    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    # SHA-256 of the attempt's secret token: the token itself is only with the client.
    token_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | submitted | closed
    # [{"v": question version id, "o": [option ids in the order shown]}]
    items: Mapped[list] = mapped_column(JSON)
    deadline_at = mapped_column(UTCDateTime, nullable=True)
    submitted_at = mapped_column(UTCDateTime, nullable=True)
    correct_count: Mapped[int | None] = mapped_column()
    total: Mapped[int | None] = mapped_column()
    score: Mapped[float | None] = mapped_column()  # percent, 0 to 100
    passed: Mapped[bool | None] = mapped_column()
    # Where the attempt belongs, set by the room that started it (an event's participation).
    context: Mapped[str | None] = mapped_column(String(80), index=True)

    quiz: Mapped[Quiz] = relationship(lazy="joined")
    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_quiz_attempt_user_quiz", "user_id", "quiz_id"),)


class QuizAnswer(StableIdMixin, db.Model):
    """An answer as given; the latest one per question counts. Keyed by the client's id."""

    __tablename__ = "quiz_answer"

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("quiz_attempt.id", ondelete="CASCADE"), index=True
    )
    question_version_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("question_version.id"))
    client_answer_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    choice_ids: Mapped[list] = mapped_column(JSON)
    is_correct: Mapped[bool] = mapped_column()
    answered_at = mapped_column(UTCDateTime, nullable=False)
    # "tablet" or "paper" (entered by an officer afterwards).
    source: Mapped[str] = mapped_column(String(20), default="tablet")


class OfficerCertification(db.Model):
    """A certified PIMPASA: every onboarding lesson done and the final exam passed."""

    __tablename__ = "officer_certification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    certified_at = mapped_column(UTCDateTime, nullable=False)
    exam_attempt_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("quiz_attempt.id"))
    exam_score: Mapped[float] = mapped_column()
    revoked_at = mapped_column(UTCDateTime, nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_by_name: Mapped[str | None] = mapped_column(String(120))

    user: Mapped[User] = relationship()

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None
