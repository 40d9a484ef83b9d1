"""Loading the question bank and the quiz definitions from content files."""

import hashlib

from sqlalchemy import select

from learning.core.versions import content_hash, next_number
from learning.extensions import db
from quizzes.models import Question, QuestionVersion, Quiz

KINDS = ("practice", "pretest", "posttest", "exam")
FEEDBACK = ("each", "end", "none")


def option_id(text: str) -> str:
    """A stable option id: the same option text keeps its id across versions."""
    return hashlib.sha1(text.strip().lower().encode("utf-8")).hexdigest()[:8]  # noqa: S324


def question_content(item: dict) -> dict:
    """Return the versioned content of a question file entry, options with their ids."""
    if item["type"] == "truefalse":
        options = [
            {"id": "benar", "text": "Benar", "correct": item["answer"] is True},
            {"id": "salah", "text": "Salah", "correct": item["answer"] is False},
        ]
    else:
        options = [
            {
                "id": option_id(o["text"]),
                "text": str(o["text"]).strip(),
                "correct": o.get("correct") is True,
            }
            for o in item["options"]
        ]
    return {
        "text": str(item["text"]).strip(),
        "options": options,
        "explanation": str(item["explanation"]).strip(),
        "citations": list(item["citations"]),
        "illustration": item.get("illustration"),
        "read_aloud": item.get("read_aloud"),
    }


def _add_version(
    question: Question, content: dict, origin: str = "file", actor=None
) -> QuestionVersion:
    digest = content_hash(content)
    version = db.session.scalars(
        select(QuestionVersion).where(
            QuestionVersion.question_id == question.id, QuestionVersion.content_hash == digest
        )
    ).first()
    if version is not None:
        return version
    number = next_number(QuestionVersion.number, QuestionVersion.question_id, question.id)
    version = QuestionVersion(
        id=QuestionVersion.make_id(question.key, digest),
        question_id=question.id,
        number=number,
        content_hash=digest,
        origin=origin,
        created_by_name=getattr(actor, "display_name", None),
        **content,
    )
    db.session.add(version)
    db.session.flush()
    return version


def load_questions(items: list[dict]) -> dict[str, int]:
    """Load validated question entries; a changed question gets a new version.

    A question edited in the browser whose file changed too keeps both versions: the
    browser's stays current and the question is marked as a conflict for an admin.
    """
    counts = {"created": 0, "new_versions": 0, "unchanged": 0, "conflicts": 0, "deactivated": 0}
    seen = set()
    for item in items:
        seen.add(item["key"])
        question = db.session.scalars(select(Question).where(Question.key == item["key"])).first()
        if question is None:
            question = Question(key=item["key"])
            db.session.add(question)
            counts["created"] += 1
        question.track, question.topic = item["track"], item["topic"]
        question.lesson_slug, question.kind = item["lesson"], item["type"]
        question.difficulty, question.pool, question.is_active = (
            item["difficulty"],
            item.get("pool"),
            True,
        )
        db.session.flush()
        version = _add_version(question, question_content(item))
        if question.current_version_id is None:
            question.current_version_id = question.file_version_id = version.id
        elif version.id == question.file_version_id:
            counts["unchanged"] += 1
        elif version.id == question.current_version_id:
            question.file_version_id, question.has_conflict = version.id, False
            counts["unchanged"] += 1
        elif question.current_version_id == question.file_version_id:
            question.current_version_id = question.file_version_id = version.id
            counts["new_versions"] += 1
        else:
            question.file_version_id, question.has_conflict = version.id, True
            counts["conflicts"] += 1
    for question in db.session.scalars(select(Question).where(Question.is_active.is_(True))):
        if question.key not in seen:
            question.is_active = False
            counts["deactivated"] += 1
    db.session.flush()
    return counts


def edit_question(question: Question, content: dict, actor) -> QuestionVersion:
    """Save a browser edit as the question's new current version (new attempts use it)."""
    from learning.core.audit import record_audit

    version = _add_version(question, content, origin="browser", actor=actor)
    if version.id != question.current_version_id:
        question.current_version_id = version.id
        record_audit(actor, "question.edited", "question", question.key, version=version.number)
    db.session.flush()
    return version


def mark_question_reviewed(version: QuestionVersion, actor) -> None:
    """Record the office's review of a question's wording (who and when), audited."""
    from learning.core.audit import record_audit
    from learning.core.time import utcnow

    version.reviewed_at = utcnow()
    version.reviewed_by_name = actor.display_name
    record_audit(
        actor, "question.reviewed", "question", version.question.key, version=version.number
    )
    db.session.flush()


def quiz_definitions(data: dict, officer_lessons: list[str]) -> list[dict]:
    """Expand content/quizzes.yml into one definition per quiz (practice per lesson)."""
    definitions = []
    practice = data.get("practice")
    if practice:
        for slug, title in officer_lessons:
            definitions.append(
                {
                    "slug": f"latihan-{slug}",
                    "title": f"Latihan: {title}",
                    "kind": "practice",
                    "track": practice["track"],
                    "lesson_slug": slug,
                    "topics": {slug: practice["questions"]},
                    "pass_mark": practice.get("pass_mark", 70),
                    "feedback": practice.get("feedback", "each"),
                }
            )
    for quiz in data.get("quizzes", []):
        quiz = dict(quiz)
        if "per_topic" in quiz:
            per_topic = quiz.pop("per_topic")
            quiz["topics"] = {slug: per_topic for slug, _title in officer_lessons}
        definitions.append(quiz)
    return definitions


def check_quiz_definitions(definitions: list[dict], available: dict[tuple, int]) -> list[str]:
    """Return problems: unknown kind or feedback, or a topic without enough questions.

    `available` maps (track, topic, pool) to how many questions exist.
    """
    problems = []
    for quiz in definitions:
        name = quiz.get("slug", "?")
        if quiz.get("kind") not in KINDS:
            problems.append(f"{name}: kind harus salah satu dari {', '.join(KINDS)}")
        if quiz.get("feedback") not in FEEDBACK:
            problems.append(f"{name}: feedback harus salah satu dari {', '.join(FEEDBACK)}")
        if quiz.get("kind") == "pretest" and quiz.get("feedback") != "none":
            problems.append(f"{name}: pre-test tidak boleh menampilkan jawaban (feedback: none)")
        if not 0 < int(quiz.get("pass_mark", 70)) <= 100:
            problems.append(f"{name}: pass_mark harus 1 sampai 100")
        for topic, count in (quiz.get("topics") or {}).items():
            have = available.get((quiz.get("track"), topic, quiz.get("pool")), 0)
            if have < count:
                problems.append(f"{name}: topik {topic} perlu {count} soal, tersedia {have}")
    return problems


def load_quizzes(definitions: list[dict]) -> int:
    """Insert or update quizzes by slug; return how many there are."""
    fields = (
        "title",
        "kind",
        "track",
        "pool",
        "lesson_slug",
        "topics",
        "pass_mark",
        "shuffle_questions",
        "shuffle_options",
        "feedback",
        "max_attempts",
        "time_limit_minutes",
    )
    defaults = {
        "pool": None,
        "lesson_slug": None,
        "shuffle_questions": True,
        "shuffle_options": True,
        "max_attempts": None,
        "time_limit_minutes": None,
        "pass_mark": 70,
    }
    for definition in definitions:
        quiz = db.session.scalars(select(Quiz).where(Quiz.slug == definition["slug"])).first()
        if quiz is None:
            quiz = Quiz(slug=definition["slug"])
            db.session.add(quiz)
        for field in fields:
            setattr(quiz, field, definition.get(field, defaults.get(field)))
        quiz.is_active = True
    db.session.flush()
    return len(definitions)
