"""Writes and shared reads of lessons: loading files, versions, review, completion, progress."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from learning.accounts.models import Role, User
from learning.core.audit import record_audit
from learning.core.ids import current_device
from learning.core.models import LegalProvision
from learning.core.registry import affected_by, get_provisions, list_changed_provisions
from learning.core.signals import lesson_completed
from learning.core.time import utcnow
from learning.core.upsert import insert_ignore
from learning.core.versions import content_hash, next_number
from learning.extensions import db
from learning.lessons.content import LessonFile
from learning.lessons.models import Completion, Lesson, LessonVersion
from learning.lessons.rules import is_lesson_done

VERSION_FIELDS = (
    "title",
    "summary",
    "body",
    "key_points",
    "sources",
    "minutes",
    "illustration",
    "read_aloud",
)


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.new_versions or self.conflicts or self.deactivated)


def get_lesson(slug: str) -> Lesson | None:
    return db.session.scalars(select(Lesson).where(Lesson.slug == slug)).first()


def list_lessons(track: str | None = None, active_only: bool = True) -> list[Lesson]:
    """Return lessons in track order."""
    query = select(Lesson).order_by(Lesson.track, Lesson.order)
    if track:
        query = query.where(Lesson.track == track)
    if active_only:
        query = query.where(Lesson.is_active.is_(True))
    return list(db.session.scalars(query))


def list_versions(lesson: Lesson) -> list[LessonVersion]:
    return list(
        db.session.scalars(
            select(LessonVersion)
            .where(LessonVersion.lesson_id == lesson.id)
            .order_by(LessonVersion.number.desc())
        )
    )


def _add_version(
    lesson: Lesson, content: dict, origin: str, actor=None, requires_reread=False
) -> LessonVersion:
    digest = content_hash(content)
    existing = db.session.scalars(
        select(LessonVersion).where(
            LessonVersion.lesson_id == lesson.id, LessonVersion.content_hash == digest
        )
    ).first()
    if existing is not None:
        return existing
    number = next_number(LessonVersion.number, LessonVersion.lesson_id, lesson.id)
    version = LessonVersion(
        id=LessonVersion.make_id(lesson.slug, digest),
        lesson_id=lesson.id,
        number=number,
        content_hash=digest,
        origin=origin,
        requires_reread=requires_reread,
        created_by_name=getattr(actor, "display_name", None),
        **{key: content.get(key) for key in VERSION_FIELDS},
    )
    version.provisions = get_provisions(list(content.get("sources") or []))
    db.session.add(version)
    db.session.flush()
    return version


def load_lesson_files(files: list[LessonFile]) -> LoadReport:
    """Load lesson files: unchanged files change nothing; a changed file makes a new version.

    A lesson edited in the browser whose file changed too is a conflict: both versions are
    kept, the browser's stays current, and an admin chooses.
    """
    report = LoadReport()
    seen = set()
    for file in files:
        slug = file.get("slug")
        seen.add(slug)
        lesson = get_lesson(slug)
        if lesson is None:
            lesson = Lesson(slug=slug)
            db.session.add(lesson)
            report.created.append(slug)
        lesson.track, lesson.order = file.get("track"), file.get("order")
        lesson.audience, lesson.topic = file.get("audience"), file.get("topic")
        lesson.file_path, lesson.is_active = str(file.path), True
        db.session.flush()
        version = _add_version(
            lesson, file.content, "file", requires_reread=bool(file.get("requires_reread"))
        )
        if lesson.current_version_id is None:
            lesson.current_version_id = lesson.file_version_id = version.id
        elif version.id == lesson.file_version_id:
            if slug not in report.created:
                report.unchanged.append(slug)
        elif version.id == lesson.current_version_id:
            lesson.file_version_id, lesson.has_conflict = version.id, False  # the file caught up
            report.unchanged.append(slug)
        elif lesson.current_version_id == lesson.file_version_id:
            lesson.current_version_id = lesson.file_version_id = version.id
            report.new_versions.append(slug)
        else:
            lesson.file_version_id, lesson.has_conflict = version.id, True
            report.conflicts.append(slug)
    for lesson in list_lessons(active_only=True):
        if lesson.slug not in seen:
            lesson.is_active = False
            report.deactivated.append(lesson.slug)
    db.session.flush()
    return report


def edit_lesson(
    lesson: Lesson, content: dict, actor, requires_reread: bool = False
) -> LessonVersion:
    """Save a browser edit as a new current version (a draft until reviewed)."""
    version = _add_version(lesson, content, "browser", actor=actor, requires_reread=requires_reread)
    if version.id != lesson.current_version_id:
        lesson.current_version_id = version.id
        record_audit(
            actor,
            "lesson.edited",
            "lesson",
            lesson.slug,
            version=version.number,
            requires_reread=requires_reread,
        )
    db.session.flush()
    return version


def choose_version(lesson: Lesson, version_id: uuid.UUID, actor) -> LessonVersion:
    """Make one of the lesson's versions current (resolving a conflict), audited."""
    version = db.session.get(LessonVersion, version_id)
    if version is None or version.lesson_id != lesson.id:
        raise ValueError("versi tidak dikenal")
    lesson.current_version_id = version.id
    lesson.has_conflict = False
    record_audit(actor, "lesson.version_chosen", "lesson", lesson.slug, version=version.number)
    db.session.flush()
    return version


def mark_reviewed(version: LessonVersion, actor) -> None:
    """Record the office's legal review of a version (who and when), audited."""
    version.reviewed_at = utcnow()
    version.reviewed_by_name = actor.display_name
    record_audit(actor, "lesson.reviewed", "lesson", version.lesson.slug, version=version.number)
    db.session.flush()


def record_completion(user: User, lesson: Lesson, via: str = "read") -> bool:
    """Record that `user` completed the current version of `lesson`; once per version."""
    version = lesson.current_version
    created = insert_ignore(
        Completion,
        {
            "id": uuid.uuid4(),
            "origin_device": current_device(),
            "created_at": utcnow(),
            "user_id": user.id,
            "lesson_id": lesson.id,
            "version_id": version.id,
            "via": via,
        },
        ["user_id", "version_id"],
    )
    if created:
        lesson_completed.send(lesson, user_id=user.id, version_id=version.id, via=via)
    return created


@dataclass
class LessonProgress:
    lesson: Lesson
    done: bool
    completed_at: object = None


def track_progress(user: User, track: str) -> list[LessonProgress]:
    """Return each lesson of the track with whether `user` has done it."""
    lessons = list_lessons(track)
    completions = db.session.execute(
        select(Completion.lesson_id, LessonVersion.number, Completion.created_at)
        .join(LessonVersion, LessonVersion.id == Completion.version_id)
        .where(Completion.user_id == user.id)
    ).all()
    versions = db.session.execute(
        select(
            LessonVersion.lesson_id,
            LessonVersion.number,
            LessonVersion.requires_reread,
            LessonVersion.id,
        )
        .join(Lesson, Lesson.id == LessonVersion.lesson_id)
        .where(Lesson.track == track)
    ).all()
    result = []
    for lesson in lessons:
        current = lesson.current_version.number
        numbers = [v.number for v in versions if v.lesson_id == lesson.id and v.number <= current]
        reread = [v.number for v in versions if v.lesson_id == lesson.id and v.requires_reread]
        mine = [c for c in completions if c.lesson_id == lesson.id]
        done = is_lesson_done({c.number for c in mine}, numbers, reread)
        last = max((c.created_at for c in mine), default=None)
        result.append(LessonProgress(lesson, done, last))
    return result


def has_completed_track(user: User, track: str) -> bool:
    """True if `user` has done every active lesson of the track."""
    progress = track_progress(user, track)
    return bool(progress) and all(p.done for p in progress)


def officers_progress(track: str) -> list[tuple[User, int, int]]:
    """Return (officer, lessons done, lessons in track) for every active officer."""
    officers = db.session.scalars(
        select(User)
        .where(User.role == Role.OFFICER, User.is_active_account.is_(True))
        .order_by(User.display_name)
    ).all()
    rows = []
    for officer in officers:
        progress = track_progress(officer, track)
        rows.append((officer, sum(p.done for p in progress), len(progress)))
    return rows


@dataclass
class ReviewItem:
    lesson: Lesson
    reasons: list[str]


def review_queue(max_age_days: int) -> list[ReviewItem]:
    """Lessons needing the office's attention: drafts, old reviews, changed law, conflicts."""
    changed = list_changed_provisions()
    limit = utcnow() - timedelta(days=max_age_days)
    items = []
    for lesson in list_lessons():
        version, reasons = lesson.current_version, []
        if not version.is_reviewed:
            reasons.append("draft")
        elif version.reviewed_at < limit:
            reasons.append("overdue")
        hits = affected_by(
            version.sources,
            [
                p
                for p in changed
                if version.reviewed_at is None or p.changed_at > version.reviewed_at
            ],
        )
        reasons += [f"changed:{p.text}" for p in hits]
        if lesson.has_conflict:
            reasons.append("conflict")
        if reasons:
            items.append(ReviewItem(lesson, reasons))
    return items


def flagged_lessons(provision_text: str) -> list[Lesson]:
    """Return the lessons whose current version cites the provision or a part of it."""
    provision = LegalProvision(text=provision_text)  # transient: nothing is written
    return [
        lesson
        for lesson in list_lessons()
        if affected_by(lesson.current_version.sources, [provision])
    ]


def version_content(version: LessonVersion) -> dict:
    """Return a version's content as the fields of a lesson file."""
    lesson = version.lesson
    return {
        "slug": lesson.slug,
        "track": lesson.track,
        "order": lesson.order,
        "audience": lesson.audience,
        "topic": lesson.topic,
        **{key: getattr(version, key) for key in VERSION_FIELDS},
    }


def export_browser_edits() -> list[str]:
    """Write current browser-edited versions to their files; return the paths written."""
    from pathlib import Path

    from learning.lessons.content import lesson_file_text

    written = []
    for lesson in list_lessons():
        version = lesson.current_version
        if (
            version.origin != "browser"
            or version.id == lesson.file_version_id
            or not lesson.file_path
        ):
            continue
        content = version_content(version)
        body = content.pop("body")
        if version.requires_reread:
            content["requires_reread"] = True
        Path(lesson.file_path).write_text(lesson_file_text(content, body), encoding="utf-8")
        lesson.file_version_id, lesson.has_conflict = version.id, False
        written.append(lesson.file_path)
    db.session.flush()
    return written
