"""The paper fallback: printed test sheets, and their answers entered in bulk afterwards."""

from flask_babel import gettext as _

from learning.core.audit import record_audit
from learning.events.models import Event
from learning.events.reports import active_participations
from learning.events.services import EventError, advance, context_of
from learning.extensions import db
from quizzes import services as quizzes

LETTERS = "ABCDEFGH"


def paper_items(event: Event, which: str) -> list[dict]:
    """The questions of the event's paper pre-test or post-test, drawn once and kept."""
    stored = dict(event.paper_items or {})
    if which not in stored:
        quiz = quizzes.get_quiz(event.pretest_slug if which == "pre" else event.posttest_slug)
        if quiz is None:
            raise EventError(_("Tes untuk acara ini belum tersedia."), 409)
        stored[which] = quizzes.draw_paper_items(quiz, f"{event.id}:{which}")
        event.paper_items = stored
        db.session.flush()
    return stored[which]


def enter_paper_answers(
    event: Event, which: str, sheets: dict[int, dict[str, list[str]]], actor
) -> dict:
    """Enter paper sheets in bulk, by participant number; tablet results are never overwritten."""
    items = paper_items(event, which)
    quiz = quizzes.get_quiz(event.pretest_slug if which == "pre" else event.posttest_slug)
    by_number = {p.number: p for p in active_participations(event)}
    outcome = {"entered": [], "skipped": [], "unknown": []}
    for number, choices in sorted(sheets.items()):
        participation = by_number.get(number)
        if participation is None:
            outcome["unknown"].append(number)
            continue
        attr = "pretest_attempt_id" if which == "pre" else "posttest_attempt_id"
        existing = quizzes.get_attempts([getattr(participation, attr)]).get(
            getattr(participation, attr)
        )
        if existing is not None and existing.status == "submitted":
            outcome["skipped"].append(number)
            continue
        attempt = quizzes.record_paper_attempt(
            participation.user, quiz, items, choices, context_of(event)
        )
        setattr(participation, attr, attempt.id)
        advance(participation, "lessons" if which == "pre" else "done")
        outcome["entered"].append(number)
    record_audit(
        actor, "event.paper_entered", "event", event.id, test=which, entered=outcome["entered"]
    )
    db.session.flush()
    return outcome
