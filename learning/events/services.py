"""Writes and reads of events: scheduling, kiosks, registration, the villager's way, reports."""

import uuid
from dataclasses import dataclass, field

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
        select(VillagerProfile).where(
            VillagerProfile.name_key == profile.name_key,
            VillagerProfile.village_code == profile.village_code,
            VillagerProfile.user_id != user.id,
            VillagerProfile.anonymised_at.is_(None),
        )
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
    profile = db.session.scalars(
        select(VillagerProfile).where(VillagerProfile.card_code == rules.normalise_code(card_code))
    ).first()
    if profile is None or profile.anonymised_at is not None:
        raise EventError(
            _("Kode kartu tidak ditemukan. Periksa lagi, atau daftar sebagai peserta baru."), 404
        )
    return _participate(
        event, profile.user, profile, profile.age_group, profile.gender, consent_by, "card"
    )


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


# ---- reports --------------------------------------------------------------------------------


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


# ---- paper fallback -------------------------------------------------------------------------

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


# ---- personal data (UU 27/2022) -------------------------------------------------------------


def find_villagers(query: str, limit: int = 50) -> list[VillagerProfile]:
    """Find villagers by name or participant card code (admins)."""
    text = (query or "").strip()
    if not text:
        return []
    statement = select(VillagerProfile).where(VillagerProfile.anonymised_at.is_(None))
    code = rules.normalise_code(text)
    statement = statement.join(User, User.id == VillagerProfile.user_id).where(
        (VillagerProfile.card_code == code)
        | (VillagerProfile.name_key.contains(rules.name_key(text)))
    )
    return list(db.session.scalars(statement.order_by(User.display_name).limit(limit)))


def villager_data(profile: VillagerProfile) -> dict:
    """Everything held about a villager, for showing and exporting it to them."""
    participations = db.session.scalars(
        select(Participation).where(Participation.user_id == profile.user_id)
    )
    attempts = quizzes.list_results(profile.user)
    return {
        "nama": profile.user.display_name,
        "desa": profile.village.label if profile.village else None,
        "kode_kartu": profile.card_code,
        "jenis_kelamin": profile.gender,
        "kelompok_umur": profile.age_group,
        "nomor_hp": profile.phone,
        "terdaftar_pada": profile.created_at.isoformat(),
        "acara": [
            {
                "acara": p.event.title,
                "tanggal": p.event.held_on.isoformat(),
                "nomor_peserta": p.number,
                "dihitung": p.is_counted,
                "persetujuan_ditarik": p.withdrawn_at.isoformat() if p.withdrawn_at else None,
            }
            for p in participations
        ],
        "hasil_tes": [
            {"kuis": a.quiz.title, "nilai": a.score, "dikumpulkan": a.submitted_at.isoformat()}
            for a in attempts
        ],
    }


def correct_villager(profile: VillagerProfile, data: dict, actor) -> None:
    """Correct a villager's data at their request, audited (what changed, not the values)."""
    changed = []
    if data.get("name") and data["name"].strip() != profile.user.display_name:
        profile.user.display_name = data["name"].strip()[:120]
        profile.name_key = rules.name_key(data["name"])
        changed.append("nama")
    for key, attr in (
        ("phone", "phone"),
        ("gender", "gender"),
        ("age_group", "age_group"),
        ("village_code", "village_code"),
    ):
        value = (data.get(key) or "").strip() or None
        if value != getattr(profile, attr):
            setattr(profile, attr, value)
            changed.append(attr)
    record_audit(actor, "villager.corrected", "villager", profile.user_id, fields=changed)
    db.session.flush()


def withdraw_consent(profile: VillagerProfile, actor) -> None:
    """Record a withdrawal of consent: the villager's data is no longer processed or counted."""
    now = utcnow()
    for participation in db.session.scalars(
        select(Participation).where(Participation.user_id == profile.user_id)
    ):
        participation.withdrawn_at = participation.withdrawn_at or now
        for consent in db.session.scalars(
            select(Consent).where(Consent.participation_id == participation.id)
        ):
            consent.withdrawn_at = consent.withdrawn_at or now
    record_audit(actor, "villager.consent_withdrawn", "villager", profile.user_id)
    db.session.flush()


def anonymise_villager(profile: VillagerProfile, actor, reason: str) -> None:
    """Remove a villager's personal data; aggregate results stay, without a name."""
    profile.user.display_name = _("Peserta (data dihapus)")
    profile.phone = None
    profile.name_key = ""
    profile.card_code = f"X{profile.id.hex[:11].upper()}"
    profile.anonymised_at = utcnow()
    record_audit(actor, "villager.anonymised", "villager", profile.user_id, reason=reason)
    db.session.flush()


def expired_profiles(retention_days: int) -> list[VillagerProfile]:
    """Profiles whose last participation ended longer ago than the retention period."""
    from datetime import timedelta

    limit = utcnow() - timedelta(days=retention_days)
    last = (
        select(Participation.user_id, func.max(Participation.created_at).label("last"))
        .group_by(Participation.user_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(VillagerProfile)
            .join(last, last.c.user_id == VillagerProfile.user_id, isouter=True)
            .where(VillagerProfile.anonymised_at.is_(None))
            .where(func.coalesce(last.c.last, VillagerProfile.created_at) < limit)
        )
    )
