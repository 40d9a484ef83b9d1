"""What a bundle must satisfy before anything of it is written at the office."""

import uuid

from flask_babel import gettext as _
from sqlalchemy import select

from learning.extensions import db
from learning.sync import bundle
from learning.sync.crypto import BundleError
from quizzes.models import Question, QuestionVersion, Quiz


def broken(detail: str) -> BundleError:
    return BundleError(_("Bundel rusak: %(detail)s", detail=detail))


def check_scope(items: dict, event_id: uuid.UUID) -> None:
    """Refuse a bundle whose records reach outside its event, or that names a test the office
    does not know."""
    if set(items["event"]) != {event_id}:
        raise broken(_("bundel harus berisi tepat satu acara."))
    event_key = str(event_id)
    participations = {str(i) for i in items["participation"]}
    attempts = {str(i) for i in items["attempt"]}
    users = {i["content"]["user_id"] for i in items["participation"].values()}
    outside = (
        any(i["content"]["event_id"] != event_key for i in items["participation"].values())
        or any(
            i["content"]["participation_id"] not in participations
            for i in items["consent"].values()
        )
        or any(i["content"]["context"] != f"event:{event_key}" for i in items["attempt"].values())
        or any(i["content"]["attempt_id"] not in attempts for i in items["answer"].values())
        or not {str(i) for i in items["villager"]} <= users
    )
    if outside:
        raise broken(_("ada catatan di luar acaranya."))
    slugs = {i["content"]["quiz"] for i in items["attempt"].values()}
    known = set(db.session.scalars(select(Quiz.slug).where(Quiz.slug.in_(sorted(slugs)))))
    if slugs - known:
        raise BundleError(
            _(
                "Bundel memakai tes yang tidak dikenal kantor: %(slugs)s.",
                slugs=", ".join(sorted(slugs - known)),
            )
        )


def add_question_versions(items: dict, carried_versions: list) -> None:
    """Insert the question versions the bundle answered that the office lacks (by id)."""
    wanted = {uuid.UUID(i["content"]["question_version_id"]) for i in items["answer"].values()}
    for attempt in items["attempt"].values():
        wanted.update(uuid.UUID(i["v"]) for i in attempt["content"]["items"] or ())
    present = (
        set(db.session.scalars(select(QuestionVersion.id).where(QuestionVersion.id.in_(wanted))))
        if wanted
        else set()
    )
    carried = {uuid.UUID(v["id"]): v for v in carried_versions}
    missing = wanted - present
    if missing - set(carried):
        raise broken(_("soal yang dijawab tidak disertakan."))
    for version_id in sorted(missing):
        data = carried[version_id]
        question = db.session.scalar(select(Question).where(Question.key == data["question_key"]))
        if question is None:
            raise BundleError(
                _(
                    "Bundel memakai soal yang tidak dikenal kantor: %(key)s.",
                    key=data["question_key"],
                )
            )
        if QuestionVersion.make_id(question.key, data["content_hash"]) != version_id:
            raise broken(_("versi soal tidak cocok dengan isinya."))
        highest = db.session.scalar(
            select(db.func.max(QuestionVersion.number)).where(
                QuestionVersion.question_id == question.id
            )
        )
        db.session.add(
            QuestionVersion(
                id=version_id,
                question_id=question.id,
                number=(highest or 0) + 1,
                origin="file",
                created_by_name=_("bundel lapangan"),
                **{name: data[name] for name in bundle.QUESTION_VERSION_FIELDS},
            )
        )
    db.session.flush()
