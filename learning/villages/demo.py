"""Demo data: plausible, clearly marked records of the office's area, removed in one step.

Every record made here carries `origin_device = "demo"`; event titles start with "[DEMO] ",
officers' names end with " (demo)", their usernames start with "demo-", decree numbers with
"DEMO/" and certificate numbers with "DEMO-". Loaded only on request (`sadar-imigrasi demo
load`), never beside the office's real events unless forced.
"""

import random
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import NamedTuple

from sqlalchemy import delete, func, insert, or_, select
from werkzeug.security import generate_password_hash

from learning.accounts import services as accounts
from learning.accounts.models import Role, User, officer_village
from learning.core.audit import record_audit
from learning.core.errors import Refused, hash_token
from learning.core.ids import StableIdMixin
from learning.core.time import WIB, add_months, today_local
from learning.events import rules as event_rules
from learning.events import services as events
from learning.events.models import (
    AGE_GROUPS,
    Consent,
    Event,
    Participation,
    VillagerProfile,
    event_officer,
    event_village,
)
from learning.extensions import db
from learning.lessons.models import Completion, Lesson
from learning.regions.models import VillageKind
from learning.regions.services import get_villages
from learning.villages import progress, rules, services
from learning.villages.models import (
    DEFAULT_TOPICS,
    EventSummary,
    VillageCertificate,
    VillageDesignation,
)
from quizzes import scoring
from quizzes import services as quizzes
from quizzes.certification import OFFICER_TRACK
from quizzes.models import (
    OfficerCertification,
    Question,
    QuestionVersion,
    Quiz,
    QuizAnswer,
    QuizAttempt,
)

DEMO = "demo"
SIGNATORY = ("Contoh Penandatangan (demo)", "000000000000000000", "Kepala Kantor")
OVERRIDE_REASON = "Data demo: contoh sertifikat untuk menunjukkan status ini."
CONTENT_MISSING = "Konten pelajaran dan kuis belum dimuat. Jalankan `sadar-imigrasi setup` dulu."

OFFICERS = (  # username, display name, certified
    ("demo-rizky", "Rizky Pratama (demo)", True),
    ("demo-dewi", "Dewi Anggraini (demo)", True),
    ("demo-fajar", "Fajar Nugroho (demo)", True),
    ("demo-sari", "Sari Wulandari (demo)", False),
)


class Held(NamedTuple):
    days_ago: int  # below zero: scheduled
    people: int
    topics: tuple[str, ...]
    gain: float  # normalised gain the scores are drawn around


@dataclass(frozen=True)
class Plan:
    """One village's part: decree (months ago), officers, events, and a certificate."""

    code: str
    designated: int | None = None
    officers: tuple[str, ...] = ()
    events: tuple[Held, ...] = ()
    certificate: str | None = None  # valid | expired | revoked


T = tuple(DEFAULT_TOPICS)
PLANS = (
    # The three desa binaan of 2025: certified, criteria met, under way.
    Plan(
        "15.06.11.2004",
        13,
        ("demo-rizky", "demo-dewi"),
        (
            Held(300, 38, T[:3], 0.5),
            Held(200, 36, T[2:], 0.55),
            Held(120, 34, T, 0.5),
            Held(60, 32, T, 0.6),
        ),
        "valid",
    ),
    Plan(
        "15.05.02.1010",
        12,
        ("demo-fajar",),
        (Held(240, 36, T[:3], 0.5), Held(150, 35, T[3:], 0.5), Held(45, 34, T, 0.55)),
    ),
    Plan(
        "15.06.02.2014",
        11,
        ("demo-dewi", "demo-sari"),
        (Held(30, 30, T[:3], 0.45), Held(-14, 0, T[3:], 0)),  # and the next one scheduled
    ),
    # A dozen others at different stages.
    Plan("15.06.11.2002", 10, ("demo-rizky",), (Held(210, 18, T, 0.45), Held(90, 16, T, 0.4))),
    Plan("15.06.02.1015", 9, ("demo-dewi",), (Held(180, 30, T[:2], 0.5), Held(75, 30, T[:3], 0.5))),
    Plan("15.07.01.2001", 8, ("demo-fajar",), (Held(100, 28, T, 0.15),)),
    Plan("15.05.02.2001", 8, ("demo-sari",), (Held(160, 25, T[:3], 0.2), Held(50, 25, T[3:], 0.2))),
    Plan("15.06.11.2005", 6, ("demo-rizky",), (Held(20, 20, T[:2], 0.4),)),
    Plan("15.05.02.2002", 7, ("demo-fajar",), (Held(130, 25, T, 0.35), Held(35, 22, T[:3], 0.3))),
    Plan("15.07.01.1013", 5, ("demo-sari",), (Held(40, 25, T[:3], 0.4),)),
    Plan(
        "15.06.02.1016",
        28,
        ("demo-dewi",),
        (Held(70, 30, T, 0.45), Held(25, 30, T[:2], 0.4)),
        "expired",
    ),
    Plan(
        "15.07.01.1010",
        9,
        ("demo-fajar",),
        (Held(230, 30, T, 0.3), Held(190, 30, T[2:], 0.25)),
        "revoked",
    ),
    Plan("15.06.11.2003", 4, ("demo-sari",)),
    Plan("15.07.01.2002", 2),
    Plan("15.06.02.1004", None, (), (Held(110, 25, T[:2], 0.35),)),  # no decree: not counted
)
ISSUED = {"valid": 30, "expired": 790, "revoked": 150}  # days ago

WOMEN = (
    "Siti Nur Rohani Halimah Salmah Aminah Nurhayati Fatimah Rahmawati Yuliani Dewi Sri Maryam "
    "Zuraidah Hasnah Rosmiati Wahyuni Juwita Kartini Mardiana Suryani Asmah Nurlela Rukiah"
).split()
WOMEN_SECOND = (
    "Aminah Aisyah Rahma Hasanah Wati Ningsih Sari Handayani Purnamasari Zahra Lestari Safitri "
    "Marlina Yanti Susanti Fitriani Rosmawati Khadijah Maimunah Juliana"
).split()
MEN = (
    "Ahmad Muhammad Abdul Syamsuddin Zulkifli Hasan Ismail Rudi Hendra Arifin Budi Darmawan "
    "Firdaus Hamzah Iskandar Jamaluddin Kamal Mansur Nasrul Rahmat Samsul Taufik Yusuf Zainal"
).split()
MEN_SECOND = (
    "Hidayat Saputra Rahman Yunus Daud Sulaiman Hamid Harun Ramli Efendi Syahputra Lubis "
    "Siregar Nasution Pratama Kurniawan Hasibuan Setiawan Aziz Bakar"
).split()
ADULTS = AGE_GROUPS[1:]  # minors need a guardian's consent: none in the demo


class DemoError(Refused):
    """Demo data cannot be loaded now."""


@dataclass
class Summary:
    villages: int
    events: int
    participants: int
    certificates: int
    officers: list[str] = field(default_factory=list)  # usernames
    password: str | None = None

    def describe(self) -> str:
        return (
            f"{self.villages} desa binaan, {len(self.officers)} petugas, {self.events} acara, "
            f"{self.participants} peserta, {self.certificates} sertifikat"
        )


@dataclass
class Bank:
    """A quiz with its active questions by topic, loaded once (drawn as quizzes.services does)."""

    quiz: Quiz
    versions: dict[str, list[QuestionVersion]]

    def draw(self, rng: random.Random) -> list[QuestionVersion]:
        drawn = [
            v for topic, n in self.quiz.topics.items() for v in rng.sample(self.versions[topic], n)
        ]
        rng.shuffle(drawn)
        return drawn


def _bank(slug: str) -> Bank:
    quiz = quizzes.get_quiz(slug)
    if quiz is None:
        raise DemoError(CONTENT_MISSING)
    query = (
        select(Question.topic, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.track == quiz.track, Question.is_active.is_(True))
    )
    if quiz.pool:
        query = query.where(Question.pool == quiz.pool)
    versions: dict[str, list] = {}
    for topic, version in db.session.execute(query.order_by(Question.key)):
        versions.setdefault(topic, []).append(version)
    if any(len(versions.get(topic, ())) < n for topic, n in quiz.topics.items()):
        raise DemoError(CONTENT_MISSING)
    return Bank(quiz, versions)


def _at(day: date, hour: int, minutes: int = 0) -> datetime:
    return datetime.combine(day, time(hour), WIB) + timedelta(minutes=minutes)


def _order(version: QuestionVersion, quiz: Quiz, rng) -> list[str]:
    """Option ids in the order shown, shuffled as the quiz says (true/false never)."""
    order = [o["id"] for o in version.options]
    if quiz.shuffle_options and version.question.kind != "truefalse":
        rng.shuffle(order)
    return order


def _renumber_audit(village_code: str, number: str) -> None:
    """The issue's audit entry names the number the certificate ends up with."""
    from learning.core.models import AuditEntry

    entry = db.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.target_id == village_code, AuditEntry.action.startswith("certificate.issued")
        )
        .order_by(AuditEntry.at.desc())
    ).first()
    if entry is not None:
        entry.details = {**entry.details, "number": number}


def has_demo() -> bool:
    """True when demo records are present."""
    return any(
        db.session.scalar(select(model.id).where(model.origin_device == DEMO).limit(1))
        for model in (Event, VillageDesignation)  # small tables: villagers' accounts are not
    )


@dataclass
class Loader:
    """What the steps of one load share: who loads, today, the random source, queued rows."""

    actor: object
    today: date
    rng: random.Random
    banks: dict[str, Bank]
    # Many rows, inserted in bulk in this order (parents first) after the services' flush.
    rows: dict = field(
        default_factory=lambda: {
            model: []
            for model in (
                User,
                VillagerProfile,
                QuizAttempt,
                Participation,
                Consent,
                QuizAnswer,
                Completion,
                OfficerCertification,
            )
        }
    )
    names: set[str] = field(default_factory=set)

    def add(self, model, at: datetime, **values) -> uuid.UUID | None:
        """Queue a row; a row with a stable id is marked as demo. Return its id."""
        if issubclass(model, StableIdMixin):
            values = {"id": uuid.uuid4(), "origin_device": DEMO, "created_at": at, **values}
        self.rows[model].append(values)
        return values.get("id")

    def insert(self) -> None:
        db.session.flush()
        for model, rows in self.rows.items():
            if rows:
                db.session.execute(insert(model), rows)

    def officers(self, password: str) -> dict[str, User]:
        """The demo officers, three of them certified, each assigned to their villages."""
        certified_on = _at(add_months(self.today, -14), 10)
        track = list(
            db.session.scalars(
                select(Lesson).where(Lesson.track == OFFICER_TRACK, Lesson.is_active.is_(True))
            )
        )
        officers = {}
        password_hash = generate_password_hash(password)  # hashed once: it is slow on purpose
        for username, name, certified in OFFICERS:
            user = User(
                id=uuid.uuid4(),
                role=Role.OFFICER,
                username=username,
                display_name=name,
                password_hash=password_hash,
                origin_device=DEMO,
            )
            db.session.add(user)
            officers[username] = user
            accounts.set_officer_villages(
                user, [p.code for p in PLANS if username in p.officers], self.actor
            )
            if not certified:
                continue
            for lesson in track:
                self.add(
                    Completion,
                    certified_on,
                    user_id=user.id,
                    lesson_id=lesson.id,
                    version_id=lesson.current_version_id,
                    via="read",
                )
            share = self.rng.uniform(0.75, 0.95)
            exam_id, score = self.attempt("ujian-akhir-pimpasa", user.id, share, certified_on)
            self.add(
                OfficerCertification,
                certified_on,
                user_id=user.id,
                certified_at=certified_on,
                exam_attempt_id=exam_id,
                exam_score=score,
            )
        return officers

    def attempt(self, slug: str, user_id, share: float, at: datetime, context=None):
        """A submitted attempt whose answers score about `share` (harder questions missed more).

        Return its id and score.
        """
        bank, rng = self.banks[slug], self.rng
        versions = bank.draw(rng)
        ranked = sorted(versions, key=lambda v: v.question.difficulty + 2 * rng.random())
        right = {v.id for v in ranked[: round(max(0.0, min(1.0, share)) * len(versions))]}
        attempt_id, correctness = uuid.uuid4(), []
        for version in versions:
            wrong = [o["id"] for o in version.options if not o.get("correct")][:1]
            chosen = sorted(version.correct_ids) if version.id in right else wrong
            correctness.append(scoring.is_answer_correct(version.correct_ids, set(chosen)))
            self.add(
                QuizAnswer,
                at,
                attempt_id=attempt_id,
                question_version_id=version.id,
                client_answer_id=uuid.uuid4(),
                choice_ids=chosen,
                is_correct=correctness[-1],
                answered_at=at,
            )
        result = scoring.score(correctness, len(versions), bank.quiz.pass_mark)
        self.add(
            QuizAttempt,
            at,
            id=attempt_id,
            quiz_id=bank.quiz.id,
            user_id=user_id,
            token_hash=hash_token(secrets.token_urlsafe(24)),  # nobody holds the token
            status="submitted",
            items=[{"v": str(v.id), "o": _order(v, bank.quiz, rng)} for v in versions],
            submitted_at=at,
            correct_count=result.correct,
            total=result.total,
            score=result.percent,
            passed=result.passed,
            context=context,
        )
        return attempt_id, result.percent

    def villager(self, code: str, at: datetime) -> tuple[uuid.UUID, str, str]:
        """A new villager of the village: a plausible name, no NIK, no phone number."""
        rng = self.rng
        gender = "perempuan" if rng.random() < 0.55 else "laki-laki"
        first, second = (WOMEN, WOMEN_SECOND) if gender == "perempuan" else (MEN, MEN_SECOND)
        name = f"{rng.choice(first)} {rng.choice(second)}"
        while name in self.names:
            name = f"{rng.choice(first)} {rng.choice(second)}"
        self.names.add(name)
        age = rng.choice(ADULTS)
        user_id = self.add(
            User,
            at,
            role=Role.VILLAGER,
            display_name=name,
        )
        self.add(
            VillagerProfile,
            at,
            user_id=user_id,
            village_code=code,
            card_code=event_rules.new_code(event_rules.CARD_CODE_LENGTH),
            name_key=event_rules.name_key(name),
            gender=gender,
            age_group=age,
        )
        return user_id, gender, age

    def hold(self, event: Event, people: int, gain: float, pool: list) -> None:
        """Participants with consent, pre-test and post-test; some come again with their card."""
        rng, context = self.rng, events.context_of(event)
        newcomers = []
        for number in range(1, people + 1):
            at = _at(event.held_on, 9, number)
            returning = bool(pool) and rng.random() < 0.15
            if returning:
                user_id, gender, age = who = pool.pop(rng.randrange(len(pool)))
            else:
                user_id, gender, age = who = self.villager(event.village_code, at)
            newcomers.append(who)
            pre = min(0.8, max(0.1, rng.gauss(0.45, 0.12)))
            post = pre + gain * (1 - pre) + rng.gauss(0, 0.1)
            participation_id = self.add(
                Participation,
                at,
                event_id=event.id,
                user_id=user_id,
                number=number,
                age_group=age,
                gender=gender,
                registered_by="card" if returning else "self",
                step="done",
                pretest_attempt_id=self.attempt("pre-test-warga", user_id, pre, at, context)[0],
                posttest_attempt_id=self.attempt(
                    "post-test-warga", user_id, post, at + timedelta(hours=2), context
                )[0],
            )
            self.add(
                Consent,
                at,
                participation_id=participation_id,
                text_version=events.CONSENT_VERSION,
                given_by="self",
            )
        pool.extend(newcomers)

    def designate(self, villages: dict) -> int:
        """Decrees for the planned villages: clearly demo numbers, never official-looking ones."""
        plans = [p for p in PLANS if p.designated]
        for number, plan in enumerate(plans, 1):
            decree_date = add_months(self.today, -plan.designated)
            decree = f"DEMO/SK/{number:03}/{decree_date.year}"
            services.designate(
                villages[plan.code], decree, decree_date, None, self.actor
            ).origin_device = DEMO
        return len(plans)

    def schedule(self, villages: dict, officers: dict) -> tuple[int, int]:
        """Every planned event, oldest first; return how many, and how many participants."""
        slugs: dict[str, list[str]] = {}
        for lesson in db.session.scalars(
            select(Lesson)
            .where(Lesson.track == "warga", Lesson.is_active.is_(True))
            .order_by(Lesson.order)
        ):
            slugs.setdefault(lesson.topic, []).append(lesson.slug)
        if any(topic not in slugs for topic in DEFAULT_TOPICS):
            raise DemoError(CONTENT_MISSING)
        planned = [(p, held) for p in PLANS for held in p.events]
        pools: dict[str, list] = {}  # villagers of each village, who may come again
        for plan, held in sorted(planned, key=lambda item: -item[1].days_ago):
            village = villages[plan.code]
            hall = "Kantor Kelurahan" if village.kind == VillageKind.KELURAHAN else "Balai Desa"
            event = events.create_event(
                title=f"[DEMO] Sosialisasi keimigrasian {village.label}",
                village_code=plan.code,
                held_on=self.today - timedelta(days=held.days_ago),
                place=f"{hall} {village.name}",
                officer_ids=[officers[u].id for u in plan.officers],
                lesson_slugs=[s for topic in held.topics for s in slugs[topic]],
                actor=self.actor,
            )
            event.origin_device = DEMO
            if held.days_ago > 0:
                event.status, event.closed_at = "closed", _at(event.held_on, 13)
            self.hold(event, held.people, held.gain, pools.setdefault(plan.code, []))
        return len(planned), sum(held.people for _plan, held in planned)

    def certificates(self, villages: dict) -> int:
        """Issue the planned certificates, dated back, signed by a clearly fake signatory."""
        settings = services.get_certificate_settings()
        if not settings.signatory_name.strip():  # so that the office can try issuing one
            settings.signatory_name, settings.signatory_nip, settings.signatory_title = SIGNATORY
        criteria = services.get_criteria()
        plans = sorted((p for p in PLANS if p.certificate), key=lambda p: -ISSUED[p.certificate])
        for plan in plans:
            certificate = services.issue_certificate(
                villages[plan.code], self.actor, OVERRIDE_REASON
            )
            issued_on = self.today - timedelta(days=ISSUED[plan.certificate])
            if issued_on.year != certificate.year:
                certificate.sequence = 1 + (
                    db.session.scalar(
                        select(func.max(VillageCertificate.sequence)).where(
                            VillageCertificate.year == issued_on.year
                        )
                    )
                    or 0
                )
                certificate.year = issued_on.year
            number = rules.format_number(
                settings.number_format, certificate.sequence, issued_on, plan.code
            )
            certificate.number = f"DEMO-{number}"
            _renumber_audit(plan.code, certificate.number)
            certificate.issued_on = issued_on
            certificate.valid_until = rules.valid_until(issued_on, criteria)
            certificate.origin_device = DEMO
            certificate.signatory_name, certificate.signatory_nip, certificate.signatory_title = (
                SIGNATORY
            )
            if plan.certificate == "revoked":
                services.revoke_certificate(
                    certificate, "Data demo: contoh sertifikat yang dicabut.", self.actor
                )
                certificate.revoked_at = _at(issued_on + timedelta(days=60), 10)
        return len(plans)


def load_demo(actor_name: str = "Data demo", force: bool = False, seed: int = 2025) -> Summary:
    """Fill the office's area with demo records (services flush; the caller commits)."""
    if has_demo():
        raise DemoError("Data demo sudah dimuat; hapus dulu dengan `sadar-imigrasi demo remove`.")
    if not force and db.session.scalar(
        select(Event.id).where(Event.origin_device != DEMO).limit(1)
    ):
        raise DemoError(
            "Database ini sudah berisi acara sungguhan. Data demo tidak boleh bercampur dengan "
            "data kantor: pakai database lain, atau tambahkan --force bila memang disengaja."
        )
    banks = {s: _bank(s) for s in ("pre-test-warga", "post-test-warga", "ujian-akhir-pimpasa")}
    villages = {v.code: v for v in get_villages([p.code for p in PLANS])}
    if len(villages) < len(PLANS):
        raise DemoError("Data wilayah belum dimuat. Jalankan `sadar-imigrasi setup` dulu.")
    loader = Loader(
        SimpleNamespace(id=None, display_name=actor_name),
        today_local(),
        random.Random(seed),  # noqa: S311 - demo figures, not secrets
        banks,
    )
    password = accounts.make_temporary_password()
    officers = loader.officers(password)
    designated = loader.designate(villages)
    held, participants = loader.schedule(villages, officers)
    loader.insert()
    progress.refresh_all(db.session())  # certificates read the villages' progress
    certificates = loader.certificates(villages)
    progress.refresh_all(db.session())
    record_audit(loader.actor, "demo.loaded", "demo", DEMO, events=held, participants=participants)
    return Summary(designated, held, participants, certificates, sorted(officers), password)


def remove_demo() -> Summary:
    """Delete every demo record, children first, and recompute progress (the caller commits)."""
    users = select(User.id).where(User.origin_device == DEMO)
    demo_events = select(Event.id).where(Event.origin_device == DEMO)
    designated = select(VillageDesignation.village_code).where(
        VillageDesignation.origin_device == DEMO
    )
    officers = list(
        db.session.scalars(
            select(User.username)
            .where(User.origin_device == DEMO, User.role == Role.OFFICER)
            .order_by(User.username)
        )
    )

    def remove(statement) -> int:
        return db.session.execute(
            statement, execution_options={"synchronize_session": False}
        ).rowcount

    def demo_rows(model) -> int:
        return remove(delete(model).where(model.origin_device == DEMO))

    remove(delete(OfficerCertification).where(OfficerCertification.user_id.in_(users)))
    for model in (Completion, QuizAnswer, QuizAttempt, Consent):
        demo_rows(model)
    participants = demo_rows(Participation)
    for table in (event_village, event_officer, EventSummary.__table__):
        remove(delete(table).where(table.c.event_id.in_(demo_events)))
    held = demo_rows(Event)
    demo_rows(VillagerProfile)
    # A certificate issued by hand to a demo village rests on the demo's decree and results.
    certificates = remove(
        delete(VillageCertificate).where(
            or_(
                VillageCertificate.origin_device == DEMO,
                VillageCertificate.village_code.in_(designated),
            )
        )
    )
    villages = demo_rows(VillageDesignation)
    remove(delete(officer_village).where(officer_village.c.user_id.in_(users)))
    demo_rows(User)
    db.session.expire_all()  # objects of deleted rows may still be in the session
    settings = services.get_certificate_settings()
    if settings.signatory_name == SIGNATORY[0]:
        settings.signatory_name = settings.signatory_nip = ""
    progress.refresh_all(db.session())
    record_audit(None, "demo.removed", "demo", DEMO, events=held, participants=participants)
    return Summary(villages, held, participants, certificates, officers)
