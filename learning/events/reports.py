"""Event reports: who took part, tests done, mean scores, learning gain, share correct."""

from dataclasses import dataclass, field

from sqlalchemy import select

from learning.events import rules
from learning.events.models import Event, Participation
from learning.extensions import db
from quizzes import services as quizzes


@dataclass
class EventReport:
    registered: int
    counted: int
    pretests: int
    posttests: int
    gain: rules.Gain
    by_gender: dict = field(default_factory=dict)
    by_age: dict = field(default_factory=dict)
    pre_questions: list = field(default_factory=list)
    post_questions: list = field(default_factory=list)
    participants: list = field(default_factory=list)


def active_participations(event: Event) -> list[Participation]:
    return list(
        db.session.scalars(
            select(Participation)
            .where(Participation.event_id == event.id, Participation.withdrawn_at.is_(None))
            .order_by(Participation.number)
        )
    )


def event_report(event: Event) -> EventReport:
    """Registered, tests done, mean pre and post scores, gain, share correct per question."""
    participations = active_participations(event)
    counted = [p for p in participations if p.is_counted]
    attempts = quizzes.get_attempts(
        [p.pretest_attempt_id for p in counted] + [p.posttest_attempt_id for p in counted]
    )

    def score(attempt_id):
        attempt = attempts.get(attempt_id)
        return attempt.score if attempt is not None and attempt.status == "submitted" else None

    pairs = [(score(p.pretest_attempt_id), score(p.posttest_attempt_id)) for p in counted]
    both = [(pre, post) for pre, post in pairs if pre is not None and post is not None]

    def count_by(attr):
        values = [getattr(p, attr) or "–" for p in counted]
        return {value: values.count(value) for value in sorted(set(values))}

    return EventReport(
        registered=len(participations),
        counted=len(counted),
        pretests=sum(1 for pre, _post in pairs if pre is not None),
        posttests=sum(1 for _pre, post in pairs if post is not None),
        gain=rules.learning_gain(both),
        by_gender=count_by("gender"),
        by_age=count_by("age_group"),
        pre_questions=quizzes.question_stats([p.pretest_attempt_id for p in counted]),
        post_questions=quizzes.question_stats([p.posttest_attempt_id for p in counted]),
        participants=[
            (p, score(p.pretest_attempt_id), score(p.posttest_attempt_id)) for p in participations
        ],
    )
