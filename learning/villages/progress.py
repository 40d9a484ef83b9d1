"""Village progress by SQL aggregation, kept current as results arrive.

Two derived tables: `event_summary` (one row an event: participants, tests, means, gain, topics)
and `village_progress` (one row a village of the work area: the criteria values and status).
Dashboards read only these. They are refreshed

- for the events and villages touched since last time (`catch_up`): the transaction of a
  change only notes what it touched in `progress_pending` (see `notes`), so a tablet's
  submit stays short, and the pages that show progress compute it first;
- for the whole work area when a day has passed (the 12-month window moves), when the
  criteria change, or when the work area grows.

No query here reads answers, and none loops over attempts in Python.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.orm import Session, aliased

from learning.accounts.models import User, officer_village
from learning.core.access import Role
from learning.core.time import today_local, utcnow
from learning.core.upsert import upsert_rows
from learning.events import rules as event_rules
from learning.events.models import Event, Participation, VillagerProfile, event_village
from learning.lessons.models import Lesson
from learning.regions.models import District, Village
from learning.regions.services import work_area_codes
from learning.villages import (
    notes,  # noqa: F401  (registers the listeners that note changes)
    rules,
)
from learning.villages.models import (
    CertificationCriteria,
    EventSummary,
    ProgressPending,
    VillageCertificate,
    VillageDesignation,
    VillageProgress,
)
from quizzes.models import OfficerCertification, QuizAttempt


def criteria_of(row: CertificationCriteria | None) -> rules.Criteria:
    if row is None:
        return rules.Criteria()
    return rules.Criteria(
        min_certified_officers=row.min_certified_officers,
        min_events=row.min_events,
        min_passed=row.min_passed,
        passed_share_percent=row.passed_share_percent,
        min_gain=row.min_gain,
        required_topics=tuple(row.required_topics or ()),
        window_months=row.window_months,
        validity_months=row.validity_months,
    )


def load_criteria(session: Session) -> rules.Criteria:
    return criteria_of(session.get(CertificationCriteria, 1))


# ---- event summaries ------------------------------------------------------------------------


def summarise_events(session: Session, event_ids=None) -> set[str]:
    """Recompute the summaries of these events (every event when None); return their villages."""
    ids = None if event_ids is None else sorted({uuid.UUID(str(i)) for i in event_ids})
    if ids == []:
        return set()
    pre, post = aliased(QuizAttempt), aliased(QuizAttempt)
    pre_done = pre.status == "submitted"
    post_done = post.status == "submitted"
    both = and_(pre_done, post_done)
    stats = (
        select(
            Participation.event_id,
            func.count(),
            func.count(case((pre_done, 1))),
            func.count(case((post_done, 1))),
            func.count(case((and_(post_done, post.passed.is_(True)), 1))),
            func.count(case((both, 1))),
            func.avg(case((both, pre.score))),
            func.avg(case((both, post.score))),
        )
        .outerjoin(pre, pre.id == Participation.pretest_attempt_id)
        .outerjoin(post, post.id == Participation.posttest_attempt_id)
        .where(
            Participation.withdrawn_at.is_(None),
            Participation.is_counted.is_(True),
            Participation.sync_hold.is_(False),
        )
        .group_by(Participation.event_id)
    )
    # An event in sync conflict counts as not held until an admin resolves it.
    is_held = and_(Event.status.in_(("open", "closed")), Event.sync_hold.is_(False))
    events = select(Event.id, Event.village_code, Event.counted_on(), is_held, Event.lesson_slugs)
    if ids is not None:
        stats = stats.where(Participation.event_id.in_(ids))
        events = events.where(Event.id.in_(ids))
    figures = {row[0]: row[1:] for row in session.execute(stats)}
    topic_of = dict(session.execute(select(Lesson.slug, Lesson.topic)).all())
    now = utcnow()
    rows = []
    for event_id, village_code, held_on, held, slugs in session.execute(events):
        count, pretests, posttests, passed, pairs, pre_mean, post_mean = figures.get(
            event_id, (0, 0, 0, 0, 0, None, None)
        )
        gain = event_rules.normalised_gain(pre_mean, post_mean)
        rows.append(
            {
                "event_id": event_id,
                "village_code": village_code,
                "held_on": held_on,
                "is_held": bool(held),
                "participants": count,
                "pretests": pretests,
                "posttests": posttests,
                "passed": passed,
                "pairs": pairs,
                "pre_mean": None if pre_mean is None else round(float(pre_mean), 2),
                "post_mean": None if post_mean is None else round(float(post_mean), 2),
                "normalised_gain": gain,
                "topics": sorted({topic_of[s] for s in slugs or () if s in topic_of}),
                "computed_at": now,
            }
        )
    upsert_rows(EventSummary, rows, ["event_id"], session=session)
    villages = select(event_village.c.village_code).distinct()
    # A villager counts for the village of their profile, which may not be the event's.
    homes = (
        select(VillagerProfile.village_code)
        .join(Participation, Participation.user_id == VillagerProfile.user_id)
        .where(VillagerProfile.village_code.is_not(None))
        .distinct()
    )
    if ids is not None:
        villages = villages.where(event_village.c.event_id.in_(ids))
        homes = homes.where(Participation.event_id.in_(ids))
    return set(session.scalars(villages)) | set(session.scalars(homes))


# ---- village progress -----------------------------------------------------------------------


@dataclass
class Scope:
    """Which villages to refresh: these codes, or (None) the whole work area."""

    codes: set[str] | None = None

    def where(self, column):
        return column.in_(sorted(self.codes)) if self.codes is not None else True


def work_area_village_codes(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(Village.code)
            .join(District, District.code == Village.district_code)
            .where(District.regency_code.in_(work_area_codes()))
        )
    )


def refresh_villages(session: Session, codes=None, today=None) -> int:
    """Recompute the progress and status of these villages (the work area when None)."""
    today = today or today_local()
    criteria = load_criteria(session)
    start = rules.window_start(today, criteria)
    scope = Scope(None if codes is None else set(codes))
    if scope.codes is not None and not scope.codes:
        return 0
    if scope.codes is None:
        targets = work_area_village_codes(session)
    else:  # only villages that exist (an unknown code is ignored)
        targets = list(session.scalars(select(Village.code).where(scope.where(Village.code))))

    officers = dict(
        session.execute(
            select(officer_village.c.village_code, func.count(func.distinct(User.id)))
            .join(User, User.id == officer_village.c.user_id)
            .join(OfficerCertification, OfficerCertification.user_id == User.id)
            .where(
                scope.where(officer_village.c.village_code),
                User.role == Role.OFFICER,
                User.is_active_account.is_(True),
                OfficerCertification.revoked_at.is_(None),
            )
            .group_by(officer_village.c.village_code)
        ).all()
    )
    in_window = and_(
        EventSummary.is_held.is_(True),
        EventSummary.held_on >= start,
        EventSummary.held_on <= today,
    )
    held = {
        code: (count, gain, last, participants)
        for code, count, gain, last, participants in session.execute(
            select(
                event_village.c.village_code,
                func.count(),
                func.avg(EventSummary.normalised_gain),
                func.max(EventSummary.held_on),
                func.sum(EventSummary.participants),
            )
            .join(EventSummary, EventSummary.event_id == event_village.c.event_id)
            .where(in_window, scope.where(event_village.c.village_code))
            .group_by(event_village.c.village_code)
        )
    }
    topics: dict[str, set] = {}
    for code, event_topics in session.execute(
        select(event_village.c.village_code, EventSummary.topics)
        .join(EventSummary, EventSummary.event_id == event_village.c.event_id)
        .where(in_window, scope.where(event_village.c.village_code))
    ):
        topics.setdefault(code, set()).update(event_topics or ())

    # A villager counts for the village of their profile; without one, the event's village.
    home = func.coalesce(VillagerProfile.village_code, Event.village_code)
    passed_query = (
        select(home, func.count(func.distinct(Participation.user_id)))
        .join(Event, Event.id == Participation.event_id)
        .join(QuizAttempt, QuizAttempt.id == Participation.posttest_attempt_id)
        .outerjoin(VillagerProfile, VillagerProfile.user_id == Participation.user_id)
        .where(
            Event.status.in_(("open", "closed")),
            Event.sync_hold.is_(False),
            Event.counted_on() >= start,
            Event.counted_on() <= today,
            Participation.withdrawn_at.is_(None),
            Participation.is_counted.is_(True),
            Participation.sync_hold.is_(False),
            QuizAttempt.status == "submitted",
            QuizAttempt.passed.is_(True),
        )
        .group_by(home)
    )
    if scope.codes is not None:
        passed_query = passed_query.where(
            (VillagerProfile.village_code.in_(sorted(scope.codes)))
            | (VillagerProfile.village_code.is_(None) & Event.village_code.in_(sorted(scope.codes)))
        )
    passed = dict(session.execute(passed_query).all())

    designations = dict(
        session.execute(
            select(VillageDesignation.village_code, VillageDesignation.adult_population).where(
                scope.where(VillageDesignation.village_code)
            )
        ).all()
    )
    latest: dict[str, rules.CertificateState] = {}
    for code, issued_on, valid_until, revoked_at in session.execute(
        select(
            VillageCertificate.village_code,
            VillageCertificate.issued_on,
            VillageCertificate.valid_until,
            VillageCertificate.revoked_at,
        )
        .where(scope.where(VillageCertificate.village_code))
        .order_by(VillageCertificate.issued_on, VillageCertificate.created_at)
    ):
        latest[code] = rules.CertificateState(issued_on, valid_until, revoked_at is not None)

    now = utcnow()
    rows = []
    for code in targets:
        count, gain, last, participants = held.get(code, (0, None, None, 0))
        facts = rules.Facts(
            certified_officers=officers.get(code, 0),
            events_held=count,
            passed_villagers=passed.get(code, 0),
            mean_gain=None if gain is None else round(float(gain), 2),
            topics=frozenset(topics.get(code, ())),
            adult_population=designations.get(code),
        )
        results = rules.evaluate(criteria, facts)
        status, attention = rules.village_status(
            code in designations,
            results,
            bool(count or facts.passed_villagers),
            latest.get(code),
            today,
        )
        rows.append(
            {
                "village_code": code,
                "certified_officers": facts.certified_officers,
                "events_held": facts.events_held,
                "passed_villagers": facts.passed_villagers,
                "passed_target": results[2].target,
                "mean_gain": facts.mean_gain,
                "topics": sorted(facts.topics),
                "participants": int(participants or 0),
                "criteria_met": sum(r.met for r in results),
                "status": status.value,
                "needs_attention": attention,
                "last_event_on": last,
                "computed_on": today,
                "computed_at": now,
            }
        )
    upsert_rows(VillageProgress, rows, ["village_code"], session=session)
    return len(rows)


def refresh_all(session: Session, today=None) -> int:
    """Recompute every village of the work area (the window moved), after summarising the
    events that have no summary yet; then remember for which day and work area it was done."""
    today = today or today_local()
    unsummarised = select(Event.id).where(
        ~select(EventSummary.event_id).where(EventSummary.event_id == Event.id).exists()
    )
    summarise_events(session, list(session.scalars(unsummarised)))
    count = refresh_villages(session, None, today)
    # Villages that left the work area keep no row: the dashboard counts rows, not villages.
    session.execute(
        delete(VillageProgress).where(
            func.substr(VillageProgress.village_code, 1, 5).not_in(work_area_codes())
        )
    )
    session.execute(delete(ProgressPending).where(ProgressPending.kind == FULL))
    session.add(ProgressPending(kind=FULL, key=_full_refresh_key(today)))
    session.flush()
    return count


FULL = "full"  # the marker of the last full refresh, in progress_pending


def _full_refresh_key(today) -> str:
    """The day and the work area a full refresh was for: when either changes, it is stale."""
    import hashlib

    area = hashlib.sha256(",".join(work_area_codes()).encode()).hexdigest()[:16]
    return f"{today.isoformat()}|{area}"


def is_stale(session: Session, today=None) -> bool:
    """True when the last full refresh was for another day or another work area."""
    marker = session.scalar(select(ProgressPending.key).where(ProgressPending.kind == FULL))
    return marker != _full_refresh_key(today or today_local())


def has_pending(session: Session) -> bool:
    query = select(ProgressPending.kind).where(ProgressPending.kind != FULL).limit(1)
    return session.scalar(query) is not None


def catch_up(session: Session) -> int:
    """Compute the progress of what changed since last time; return the villages recomputed.

    The pending rows are deleted first (RETURNING what they were): a change committed while
    this runs leaves a new row for the next time, never a lost one.
    """
    rows = session.execute(
        delete(ProgressPending)
        .where(ProgressPending.kind != FULL)
        .returning(ProgressPending.kind, ProgressPending.key)
    ).all()
    if not rows:
        return 0
    keys: dict[str, set] = {"event": set(), "village": set(), "officer": set()}
    for kind, key in rows:
        keys[kind].add(key)
    villages = keys["village"] | summarise_events(session, keys["event"])
    if keys["officer"]:
        villages |= set(
            session.scalars(
                select(officer_village.c.village_code).where(
                    officer_village.c.user_id.in_(sorted(uuid.UUID(k) for k in keys["officer"]))
                )
            )
        )
    return refresh_villages(session, villages)


def bring_up_to_date(session: Session) -> None:
    """Everything when a day has passed (or the work area grew), else what changed."""
    if is_stale(session):
        catch_up(session)  # events noted as changed are summarised again first
        refresh_all(session)
    else:
        catch_up(session)
