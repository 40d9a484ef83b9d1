"""Writes and reads of events: scheduling, kiosks, registration, the villager's way, reports."""

import uuid
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from learning.accounts.models import Role, User
from learning.core.audit import record_audit
from learning.core.errors import Refused, hash_token
from learning.core.time import utcnow
from learning.events import rules
from learning.events.models import (
    AGE_GROUPS,
    GENDERS,
    Consent,
    DuplicateCandidate,
    Event,
    HelpCall,
    KioskSession,
    Participation,
    VillagerProfile,
)
from learning.extensions import db
from learning.regions.services import get_villages
from quizzes import services as quizzes

CONSENT_VERSION = "persetujuan-warga-2026-11"


class EventError(Refused):
    """A change to an event was refused."""


# A common name registered again and again gives the officer this many to review, not all.
MAX_DUPLICATE_CANDIDATES = 3


def context_of(event: Event) -> str:
    """The quiz-attempt context of an event: closing the event closes its attempts."""
    return f"event:{event.id}"


# ---- events ---------------------------------------------------------------------------------


def get_event(event_id) -> Event | None:
    try:
        return db.session.get(Event, uuid.UUID(str(event_id)))
    except ValueError:
        return None


def get_event_by_code(code: str) -> Event | None:
    return db.session.scalars(
        select(Event).where(Event.join_code == rules.normalise_code(code))
    ).first()


def list_events(officer: User | None = None) -> list[Event]:
    """Events newest first; an officer's own events only when `officer` is given."""
    query = select(Event).order_by(Event.held_on.desc(), Event.created_at.desc())
    if officer is not None:
        query = query.where(Event.officers.any(User.id == officer.id))
    return list(db.session.scalars(query))


def can_manage(user: User, event: Event) -> bool:
    """Admins manage every event; an officer the events they are assigned to."""
    return user.role == Role.ADMIN or any(o.id == user.id for o in event.officers)


def _unique_join_code() -> str:
    for _attempt in range(50):
        code = rules.new_code(rules.JOIN_CODE_LENGTH)
        if get_event_by_code(code) is None:
            return code
    raise EventError(_("Tidak dapat membuat kode acara. Coba lagi."))  # pragma: no cover


def create_event(
    *,
    title,
    village_code,
    held_on,
    place,
    officer_ids,
    lesson_slugs,
    pretest_slug="pre-test-warga",
    posttest_slug="post-test-warga",
    actor,
) -> Event:
    """Schedule a sosialisasi with its join code."""
    (village,) = get_villages([village_code]) or (None,)
    if village is None:
        raise EventError(_("Desa tidak dikenal."))
    officers = list(
        db.session.scalars(select(User).where(User.id.in_(officer_ids), User.role == Role.OFFICER))
    )
    event = Event(
        id=uuid.uuid4(),
        title=title.strip(),
        village_code=village.code,
        held_on=held_on,
        place=place.strip(),
        lesson_slugs=list(lesson_slugs),
        pretest_slug=pretest_slug,
        posttest_slug=posttest_slug,
        join_code=_unique_join_code(),
        created_by_id=getattr(actor, "id", None),
    )
    event.villages = [village]
    event.officers = officers
    db.session.add(event)
    db.session.flush()
    record_audit(
        actor, "event.created", "event", event.id, village=village.code, held_on=str(held_on)
    )
    return event


def set_status(event: Event, status: str, actor) -> None:
    """Open or close an event; closing closes its unfinished attempts and kiosks."""
    if status not in ("open", "closed", "scheduled"):
        raise EventError(_("Status acara tidak dikenal."))
    event.status = status
    if status == "closed":
        event.closed_at = utcnow()
        quizzes.close_attempts(context_of(event))
        for kiosk in db.session.scalars(
            select(KioskSession).where(
                KioskSession.event_id == event.id, KioskSession.ended_at.is_(None)
            )
        ):
            kiosk.ended_at = utcnow()
    record_audit(actor, f"event.{status}", "event", event.id)
    db.session.flush()


# ---- kiosks ---------------------------------------------------------------------------------


def start_kiosk(event: Event, officer: User, label: str) -> tuple[KioskSession, str]:
    """Turn a tablet into a kiosk for the event; return the session and its secret token."""
    import secrets

    if event.status == "closed":
        raise EventError(_("Acara sudah ditutup."), 409)
    if not officer.pin_hash:
        raise EventError(_("Buat PIN kios dulu: PIN diperlukan untuk keluar dari mode kios."), 409)
    if event.status == "scheduled":
        set_status(event, "open", officer)
    token = secrets.token_urlsafe(24)
    kiosk = KioskSession(
        id=uuid.uuid4(),
        event_id=event.id,
        officer_id=officer.id,
        token_hash=hash_token(token),
        label=(label or "").strip()[:40] or _("Tablet"),
    )
    db.session.add(kiosk)
    db.session.flush()
    record_audit(officer, "kiosk.started", "event", event.id, label=kiosk.label)
    return kiosk, token


def get_kiosk(token: str | None) -> KioskSession | None:
    """Return the running kiosk session of this token, if the event is still open."""
    if not token:
        return None
    kiosk = db.session.scalars(
        select(KioskSession).where(KioskSession.token_hash == hash_token(token))
    ).first()
    if kiosk is None or kiosk.ended_at is not None or kiosk.event.status == "closed":
        return None
    return kiosk


def end_kiosk(kiosk: KioskSession) -> None:
    kiosk.ended_at = utcnow()
    record_audit(kiosk.officer, "kiosk.ended", "event", kiosk.event_id, label=kiosk.label)
    db.session.flush()


def call_help(event: Event, where: str) -> HelpCall:
    call = HelpCall(id=uuid.uuid4(), event_id=event.id, where=(where or "")[:60])
    db.session.add(call)
    db.session.flush()
    return call


def open_help_calls(event: Event) -> list[HelpCall]:
    return list(
        db.session.scalars(
            select(HelpCall)
            .where(HelpCall.event_id == event.id, HelpCall.answered_at.is_(None))
            .order_by(HelpCall.created_at)
        )
    )


# ---- villagers ------------------------------------------------------------------------------


def _unique_card_code() -> str:
    for _attempt in range(50):
        code = rules.new_code(rules.CARD_CODE_LENGTH)
        if (
            db.session.scalars(
                select(VillagerProfile).where(VillagerProfile.card_code == code)
            ).first()
            is None
        ):
            return code
    raise EventError(_("Tidak dapat membuat kartu peserta. Coba lagi."))  # pragma: no cover


@dataclass
class Registration:
    name: str
    village_code: str
    age_group: str
    gender: str
    phone: str | None = None
    consent_by: str = "self"  # self | guardian | none (under 18, takes part uncounted)


def _next_number(event: Event) -> int:
    """The next participant number; the event's row is locked so two phones never share one."""
    db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())
    highest = db.session.scalar(
        select(func.max(Participation.number)).where(Participation.event_id == event.id)
    )
    return (highest or 0) + 1


def _participate(
    event: Event,
    user: User,
    profile: VillagerProfile,
    reg_age,
    reg_gender,
    consent_by,
    registered_by,
) -> Participation:
    existing = db.session.scalars(
        select(Participation).where(
            Participation.event_id == event.id, Participation.user_id == user.id
        )
    ).first()
    if existing is not None:
        return existing
    participation = Participation(
        id=uuid.uuid4(),
        event_id=event.id,
        user_id=user.id,
        number=_next_number(event),
        age_group=reg_age,
        gender=reg_gender,
        registered_by=registered_by,
        is_counted=not (reg_age == "<18" and consent_by != "guardian"),
    )
    db.session.add(participation)
    db.session.flush()
    db.session.add(
        Consent(
            id=uuid.uuid4(),
            participation_id=participation.id,
            text_version=CONSENT_VERSION,
            given_by="guardian" if consent_by == "guardian" else "self",
        )
    )
    db.session.flush()
    return participation


def register_villager(
    event: Event, data: Registration, registered_by: str = "self"
) -> Participation:
    """Register a new villager at an event; flag possible duplicates for the officer."""
    if event.status == "closed":
        raise EventError(_("Acara sudah ditutup."), 409)
    if data.age_group not in AGE_GROUPS or data.gender not in GENDERS:
        raise EventError(_("Pilih kelompok umur dan jenis kelamin."))
    if not data.name.strip():
        raise EventError(_("Tulis nama Anda."))
    user = User(id=uuid.uuid4(), role=Role.VILLAGER, display_name=data.name.strip()[:120])
    db.session.add(user)
    db.session.flush()
    profile = VillagerProfile(
        id=uuid.uuid4(),
        user_id=user.id,
        village_code=data.village_code,
        card_code=_unique_card_code(),
        name_key=rules.name_key(data.name),
        gender=data.gender,
        age_group=data.age_group,
        phone=(data.phone or "").strip()[:30] or None,
    )
    db.session.add(profile)
    db.session.flush()
    participation = _participate(
        event, user, profile, data.age_group, data.gender, data.consent_by, registered_by
    )
    for other in db.session.scalars(
        select(VillagerProfile)
        .where(
            VillagerProfile.name_key == profile.name_key,
            VillagerProfile.village_code == profile.village_code,
            VillagerProfile.user_id != user.id,
            VillagerProfile.anonymised_at.is_(None),
        )
        .order_by(VillagerProfile.created_at.desc())
        .limit(MAX_DUPLICATE_CANDIDATES)
    ):
        db.session.add(
            DuplicateCandidate(
                id=uuid.uuid4(), participation_id=participation.id, existing_user_id=other.user_id
            )
        )
    db.session.flush()
    return participation


def returning_villager(event: Event, card_code: str, consent_by: str = "self") -> Participation:
    """A villager shows their participant card: no second registration, no second person."""
    code = rules.normalise_code(card_code)
    profile = db.session.scalars(
        select(VillagerProfile).where(VillagerProfile.card_code == code)
    ).first()
    if (
        profile is None
        and current_app.config.get("CLAIM_UNKNOWN_CARDS")
        and rules.is_card_code(code)
    ):
        profile = _card_holder(event, code)
    if profile is None or profile.anonymised_at is not None:
        raise EventError(
            _("Kode kartu tidak ditemukan. Periksa lagi, atau daftar sebagai peserta baru."), 404
        )
    return _participate(
        event, profile.user, profile, profile.age_group, profile.gender, consent_by, "card"
    )


def _card_holder(event: Event, code: str) -> VillagerProfile:
    """A card this field laptop does not know (it holds no villagers of the office): the
    holder takes part under the card, and the office matches it to its owner on import."""
    user = User(
        id=uuid.uuid4(), role=Role.VILLAGER, display_name=_("Pemegang kartu %(code)s", code=code)
    )
    db.session.add(user)
    db.session.flush()
    profile = VillagerProfile(
        id=uuid.uuid4(),
        user_id=user.id,
        village_code=event.village_code,
        card_code=code,
        name_key="",
    )
    db.session.add(profile)
    db.session.flush()
    return profile


def get_profile(user: User) -> VillagerProfile | None:
    return db.session.scalars(
        select(VillagerProfile).where(VillagerProfile.user_id == user.id)
    ).first()


def get_participation(participation_id) -> Participation | None:
    try:
        return db.session.get(Participation, uuid.UUID(str(participation_id)))
    except ValueError:
        return None


def start_test(participation: Participation, which: str) -> tuple[object, str]:
    """Start (or resume on this tablet) the participant's pre-test or post-test."""
    event = participation.event
    slug = event.pretest_slug if which == "pre" else event.posttest_slug
    quiz = quizzes.get_quiz(slug)
    if quiz is None:
        raise EventError(_("Tes untuk acara ini belum tersedia. Panggil petugas."), 409)
    attempt, token = quizzes.start_attempt(participation.user, quiz, context=context_of(event))
    if which == "pre":
        participation.pretest_attempt_id = attempt.id
    else:
        participation.posttest_attempt_id = attempt.id
    db.session.flush()
    return attempt, token


def advance(participation: Participation, step: str) -> None:
    """Move the participant to the next step of the villager's way."""
    order = ("pretest", "lessons", "posttest", "done")
    if order.index(step) > order.index(participation.step):
        participation.step = step
        db.session.flush()


# ---- duplicates -----------------------------------------------------------------------------


def pending_duplicates(event: Event | None = None) -> list[DuplicateCandidate]:
    query = (
        select(DuplicateCandidate)
        .where(DuplicateCandidate.status == "pending")
        .order_by(DuplicateCandidate.created_at)
    )
    if event is not None:
        query = query.join(Participation).where(Participation.event_id == event.id)
    return list(db.session.scalars(query))


def decide_duplicate(candidate: DuplicateCandidate, same_person: bool, actor) -> None:
    """Confirm (the participation moves to the known villager) or reject a possible duplicate."""
    if candidate.status != "pending":
        raise EventError(_("Sudah diputuskan."), 409)
    candidate.status = "confirmed" if same_person else "rejected"
    candidate.decided_at = utcnow()
    candidate.decided_by_name = actor.display_name
    if same_person:
        participation = candidate.participation
        duplicate_user_id = participation.user_id
        already = db.session.scalars(
            select(Participation).where(
                Participation.event_id == participation.event_id,
                Participation.user_id == candidate.existing_user_id,
            )
        ).first()
        if already is not None:
            raise EventError(_("Warga itu sudah terdaftar di acara ini."), 409)
        from quizzes.models import QuizAttempt

        for attempt in db.session.scalars(
            select(QuizAttempt).where(QuizAttempt.user_id == duplicate_user_id)
        ):
            attempt.user_id = candidate.existing_user_id
        participation.user_id = candidate.existing_user_id
        for other in db.session.scalars(
            select(DuplicateCandidate).where(
                DuplicateCandidate.participation_id == participation.id,
                DuplicateCandidate.id != candidate.id,
                DuplicateCandidate.status == "pending",
            )
        ):
            other.status, other.decided_at, other.decided_by_name = (
                "rejected",
                utcnow(),
                actor.display_name,
            )
        profile = db.session.scalars(
            select(VillagerProfile).where(VillagerProfile.user_id == duplicate_user_id)
        ).first()
        db.session.flush()
        if profile is not None:
            db.session.delete(profile)
        db.session.flush()
        db.session.delete(db.session.get(User, duplicate_user_id))
    record_audit(
        actor,
        "villager.duplicate_" + candidate.status,
        "participation",
        candidate.participation_id,
        existing=str(candidate.existing_user_id),
    )
    db.session.flush()
