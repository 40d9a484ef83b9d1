"""Attempts: start, autosave answers, submit once, review; offered to other rooms."""

import hmac
import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from learning.accounts.models import User
from learning.core.errors import Refused, hash_token
from learning.core.ids import current_device
from learning.core.signals import attempt_finalized
from learning.core.time import utcnow
from learning.core.upsert import insert_ignore
from learning.extensions import db
from learning.lessons import services as lessons
from quizzes import scoring
from quizzes.models import Question, QuestionVersion, Quiz, QuizAnswer, QuizAttempt


class AttemptError(Refused):
    """A request about an attempt was refused."""


def token_matches(attempt: QuizAttempt, token: str | None) -> bool:
    """Compare a presented token with the attempt's, in constant time."""
    return bool(token) and hmac.compare_digest(attempt.token_hash, hash_token(token))


def get_quiz(slug: str) -> Quiz | None:
    return db.session.scalars(
        select(Quiz).where(Quiz.slug == slug, Quiz.is_active.is_(True))
    ).first()


def list_quizzes(track: str | None = None) -> list[Quiz]:
    query = select(Quiz).where(Quiz.is_active.is_(True)).order_by(Quiz.kind, Quiz.slug)
    if track:
        query = query.where(Quiz.track == track)
    return list(db.session.scalars(query))


def get_attempt(attempt_id) -> QuizAttempt | None:
    try:
        return db.session.get(QuizAttempt, uuid.UUID(str(attempt_id)))
    except ValueError:
        return None


def _lock(attempt: QuizAttempt, read: bool = False) -> QuizAttempt:
    """Lock the attempt's row until commit (PostgreSQL); SQLite's IMMEDIATE already did."""
    query = (
        select(QuizAttempt)
        .where(QuizAttempt.id == attempt.id)
        .with_for_update(read=read, of=QuizAttempt.__table__)
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(query).one()


def draw_items(quiz: Quiz, rng: random.Random) -> list[dict]:
    """Draw each topic's questions from the active bank; shuffle as the quiz says."""
    items = []
    for topic, count in quiz.topics.items():
        query = select(Question).where(
            Question.track == quiz.track, Question.topic == topic, Question.is_active.is_(True)
        )
        if quiz.pool:
            query = query.where(Question.pool == quiz.pool)
        candidates = sorted(db.session.scalars(query), key=lambda q: q.key)
        if len(candidates) < count:
            raise AttemptError(
                _("Bank soal belum cukup untuk kuis ini. Hubungi admin kantor."), 409
            )
        items += rng.sample(candidates, count) if quiz.shuffle_questions else candidates[:count]
    if quiz.shuffle_questions:
        rng.shuffle(items)
    drawn = []
    for question in items:
        version = db.session.get(QuestionVersion, question.current_version_id)
        order = [o["id"] for o in version.options]
        if quiz.shuffle_options and question.kind != "truefalse":
            rng.shuffle(order)
        drawn.append({"v": str(version.id), "o": order})
    return drawn


def count_submitted(user: User, quiz: Quiz) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(QuizAttempt)
        .where(
            QuizAttempt.user_id == user.id,
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.status == "submitted",
        )
    )


def open_attempt(user: User, quiz: Quiz, context: str | None = None) -> QuizAttempt | None:
    """Return the user's unfinished attempt at this quiz (in this context), if any."""
    return db.session.scalars(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user.id,
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.status == "open",
            QuizAttempt.context.is_(None) if context is None else QuizAttempt.context == context,
        )
    ).first()


def start_attempt(
    user: User, quiz: Quiz, context: str | None = None, rng=None
) -> tuple[QuizAttempt, str]:
    """Start an attempt (or hand back the open one with a fresh token); return it and its token."""
    token = secrets.token_urlsafe(24)
    attempt = open_attempt(user, quiz, context)
    if attempt is not None:
        attempt.token_hash = hash_token(token)  # a new device takes over; the old token stops
        db.session.flush()
        return attempt, token
    if quiz.max_attempts and count_submitted(user, quiz) >= quiz.max_attempts:
        raise AttemptError(
            _("Kesempatan untuk kuis ini sudah habis (%(n)s kali).", n=quiz.max_attempts), 409
        )
    now = utcnow()
    attempt = QuizAttempt(
        id=uuid.uuid4(),
        quiz_id=quiz.id,
        user_id=user.id,
        token_hash=hash_token(token),
        items=draw_items(quiz, rng or random.SystemRandom()),
        context=context,
        deadline_at=now + timedelta(minutes=quiz.time_limit_minutes)
        if quiz.time_limit_minutes
        else None,
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt, token


def first_unanswered(attempt: QuizAttempt) -> int:
    """The number of the first question without an answer (where a resumed attempt starts)."""
    answered = effective_answers(attempt)
    return next((n for n, item in enumerate(attempt.items, 1) if item["v"] not in answered), 1)


def item_versions(attempt: QuizAttempt) -> list[QuestionVersion]:
    """Return the question versions of the attempt, in the order shown."""
    ids = [uuid.UUID(item["v"]) for item in attempt.items]
    found = {
        v.id: v
        for v in db.session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(ids)))
    }
    return [found[i] for i in ids]


@dataclass
class SaveResult:
    created: bool
    is_correct: bool


def save_answer(
    attempt: QuizAttempt, question_version_id, choice_ids, client_answer_id, source: str = "tablet"
) -> SaveResult:
    """Save one answer, keyed by the client's id: a retry or a double tap changes nothing."""
    try:
        client_id = uuid.UUID(str(client_answer_id))
        version_id = uuid.UUID(str(question_version_id))
    except ValueError:
        raise AttemptError(
            _("Jawaban tidak dapat dibaca: kode jawaban atau soal tidak sah.")
        ) from None
    existing = db.session.scalars(
        select(QuizAnswer).where(QuizAnswer.client_answer_id == client_id)
    ).first()
    if existing is not None:
        if existing.attempt_id != attempt.id or existing.question_version_id != version_id:
            raise AttemptError(_("Kode jawaban ini sudah dipakai untuk soal lain."), 409)
        return SaveResult(False, existing.is_correct)  # a late copy: success, nothing changes
    attempt = _lock(attempt, read=True)
    if attempt.status != "open":
        raise AttemptError(
            _("Percobaan ini sudah dikumpulkan atau ditutup; jawaban baru tidak diterima."), 409
        )
    if attempt.deadline_at and utcnow() > attempt.deadline_at:
        raise AttemptError(_("Waktu untuk kuis ini sudah habis."), 409)
    item = next((i for i in attempt.items if i["v"] == str(version_id)), None)
    if item is None:
        raise AttemptError(_("Soal ini tidak ada dalam percobaan Anda."))
    if attempt.quiz.feedback == "each" and str(version_id) in effective_answers(attempt):
        # The explanation was shown after the first answer: changing it now would game the score.
        raise AttemptError(_("Soal ini sudah dijawab dan pembahasannya sudah ditampilkan."), 409)
    version = db.session.get(QuestionVersion, version_id)
    chosen = {str(c) for c in choice_ids}
    if not scoring.valid_choice(version.question.kind, set(item["o"]), chosen):
        raise AttemptError(
            _("Pilihan jawaban tidak dikenal untuk soal ini. Pilih salah satu pilihan yang ada.")
        )
    correct = scoring.is_answer_correct(version.correct_ids, chosen)
    created = insert_ignore(
        QuizAnswer,
        {
            "id": uuid.uuid4(),
            "origin_device": current_device(),
            "created_at": utcnow(),
            "attempt_id": attempt.id,
            "question_version_id": version_id,
            "client_answer_id": client_id,
            "choice_ids": sorted(chosen),
            "is_correct": correct,
            "answered_at": utcnow(),
            "source": source,
        },
        ["client_answer_id"],
    )
    return SaveResult(created, correct)


def effective_answers(attempt: QuizAttempt) -> dict[str, QuizAnswer]:
    """Return the answer that counts for each question: the last one given."""
    answers = db.session.scalars(
        select(QuizAnswer)
        .where(QuizAnswer.attempt_id == attempt.id)
        .order_by(QuizAnswer.answered_at, QuizAnswer.created_at)
    )
    return {str(a.question_version_id): a for a in answers}


def submit_attempt(attempt: QuizAttempt) -> QuizAttempt:
    """Score and close the attempt once; a second submit, even concurrent, changes nothing."""
    attempt = _lock(attempt)
    if attempt.status != "open":
        return attempt
    answers = effective_answers(attempt)
    result = scoring.score(
        [answers[i["v"]].is_correct for i in attempt.items if i["v"] in answers],
        len(attempt.items),
        attempt.quiz.pass_mark,
    )
    changed = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == "open")
        .values(
            status="submitted",
            submitted_at=utcnow(),
            correct_count=result.correct,
            total=result.total,
            score=result.percent,
            passed=result.passed,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if changed:
        _after_final(attempt)
    return attempt


def close_attempts(context: str) -> int:
    """Close the open attempts of a context (an event that ends); they accept no answers."""
    return db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.context == context, QuizAttempt.status == "open")
        .values(status="closed")
        .execution_options(synchronize_session=False)
    ).rowcount


def _after_final(attempt: QuizAttempt) -> None:
    quiz = attempt.quiz
    if quiz.kind == "practice" and attempt.passed and quiz.lesson_slug:
        lesson = lessons.get_lesson(quiz.lesson_slug)
        if lesson is not None:
            lessons.record_completion(attempt.user, lesson, via="quiz")
    if quiz.kind == "exam" and attempt.passed:
        from quizzes.certification import certify_if_eligible

        certify_if_eligible(attempt.user)
    attempt_finalized.send(
        attempt,
        attempt_id=attempt.id,
        user_id=attempt.user_id,
        kind=quiz.kind,
        score=attempt.score,
        passed=attempt.passed,
        context=attempt.context,
    )


@dataclass
class ReviewItem:
    version: QuestionVersion
    order: list[str]
    chosen: list[str]
    is_correct: bool
    answered: bool


def review_items(attempt: QuizAttempt) -> list[ReviewItem]:
    """Return every question of the attempt with the answer given and whether it was right."""
    answers = effective_answers(attempt)
    items = []
    for item, version in zip(attempt.items, item_versions(attempt), strict=True):
        answer = answers.get(item["v"])
        items.append(
            ReviewItem(
                version,
                item["o"],
                answer.choice_ids if answer else [],
                bool(answer and answer.is_correct),
                answer is not None,
            )
        )
    return items


def list_results(user: User, kind: str | None = None) -> list[QuizAttempt]:
    """Return a user's submitted attempts, newest first (read by other rooms)."""
    query = (
        select(QuizAttempt)
        .join(Quiz)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.status == "submitted")
        .order_by(QuizAttempt.submitted_at.desc())
    )
    if kind:
        query = query.where(Quiz.kind == kind)
    return list(db.session.scalars(query))


def get_question(key: str) -> Question | None:
    return db.session.scalars(select(Question).where(Question.key == key)).first()


def get_question_version(version_id) -> QuestionVersion | None:
    return db.session.get(QuestionVersion, version_id)


def list_questions(track: str | None = None) -> list[tuple[Question, QuestionVersion]]:
    """Return active questions with their current versions, by track, topic and key."""
    query = (
        select(Question, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.is_active.is_(True))
        .order_by(Question.track, Question.topic, Question.key)
    )
    if track:
        query = query.where(Question.track == track)
    return [tuple(row) for row in db.session.execute(query)]


def list_question_versions(question: Question) -> list[QuestionVersion]:
    return list(
        db.session.scalars(
            select(QuestionVersion)
            .where(QuestionVersion.question_id == question.id)
            .order_by(QuestionVersion.number.desc())
        )
    )


def get_attempts(ids) -> dict:
    """Return attempts by id (read by other rooms, such as event reports)."""
    ids = [i for i in ids if i]
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(select(QuizAttempt).where(QuizAttempt.id.in_(ids)))}


@dataclass
class QuestionStat:
    key: str
    topic: str
    text: str
    answered: int
    correct: int

    @property
    def share_correct(self) -> float | None:
        return round(self.correct / self.answered, 2) if self.answered else None


def question_stats(attempt_ids) -> list[QuestionStat]:
    """Share correct per question over these submitted attempts (the last answer counts)."""
    ids = [i for i in attempt_ids if i]
    if not ids:
        return []
    rows = db.session.execute(
        select(QuizAnswer.attempt_id, QuizAnswer.question_version_id, QuizAnswer.is_correct)
        .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
        .where(QuizAnswer.attempt_id.in_(ids), QuizAttempt.status == "submitted")
        .order_by(QuizAnswer.answered_at, QuizAnswer.created_at)
    ).all()
    last = {(r.attempt_id, r.question_version_id): r.is_correct for r in rows}
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(QuestionVersion).where(QuestionVersion.id.in_({k[1] for k in last}))
        )
    }
    stats: dict[str, QuestionStat] = {}
    for (_attempt, version_id), correct in last.items():
        version = versions[version_id]
        key = version.question.key
        stat = stats.setdefault(key, QuestionStat(key, version.question.topic, version.text, 0, 0))
        stat.answered += 1
        stat.correct += 1 if correct else 0
    return sorted(stats.values(), key=lambda s: (s.topic, s.key))


def draw_paper_items(quiz: Quiz, seed: str) -> list[dict]:
    """Draw a fixed question set for printed sheets (options in their stored order)."""
    items = draw_items(quiz, random.Random(seed))  # noqa: S311 - a sheet layout, not a secret
    for item, version in zip(
        items, [db.session.get(QuestionVersion, uuid.UUID(i["v"])) for i in items], strict=True
    ):
        item["o"] = [o["id"] for o in version.options]
    return items


def record_paper_attempt(
    user: User, quiz: Quiz, items: list[dict], choices: dict[str, list[str]], context: str
) -> QuizAttempt:
    """Enter a paper sheet's answers as a submitted attempt; they count like tablet answers."""
    attempt = QuizAttempt(
        id=uuid.uuid4(),
        quiz_id=quiz.id,
        user_id=user.id,
        token_hash=hash_token(secrets.token_urlsafe(24)),
        items=items,
        context=context,
    )
    db.session.add(attempt)
    db.session.flush()
    for item in items:
        chosen = choices.get(item["v"])
        if chosen:
            save_answer(attempt, item["v"], chosen, uuid.uuid4(), source="paper")
    return submit_attempt(attempt)
