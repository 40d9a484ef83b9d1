"""Fixtures for the villages room, built through the app's own services.

Events are scheduled and opened with `learning.events.services`, villagers registered with
`register_villager`, officers certified by reading every lesson and passing the exam, villages
designated with `villages.services.designate`. Only the many passing villagers a criterion
needs are given their results as submitted attempt rows (`pass_villagers`); `take_test` drives
one villager through the real start/answer/submit path.
"""

import csv
import gzip
import io
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select

from learning.core.errors import hash_token
from learning.core.time import today_local, utcnow
from learning.events import services as events
from learning.events.models import Participation
from learning.extensions import db
from learning.lessons import services as lessons
from learning.lessons.models import Completion
from learning.regions.models import District, Village, VillageKind
from learning.villages import services
from learning.villages.models import VillageProgress
from quizzes import certification
from quizzes import services as quizzes
from quizzes.models import QuizAttempt

PEMBENGIS = "15.06.11.2004"  # the `officer` fixture's village (Tanjung Jabung Barat)
BRAM_ITAM_RAYA = "15.06.11.2005"  # same district
SENGETI = "15.05.02.1010"  # Muaro Jambi
OUTSIDE = "12.07.28.1007"  # Deli Serdang: outside the work area
# One lesson of every required villager topic.
ALL_TOPICS = [
    "apa-itu-paspor",
    "bekerja-ke-luar-negeri-resmi",
    "apa-itu-tppo",
    "apa-itu-tppm",
    "lapor-dan-minta-bantuan",
]
SIGNATORY_NAME = "Raden Sukma Wijaya, S.H."
SIGNATORY_NIP = "198001012005011001"
REASON = "Permintaan Bupati: desa sudah aktif sejak lama walau data belum lengkap."
WORK_AREA_VILLAGES = 382  # Muaro Jambi 155, Tanjung Jabung Barat 134, Tanjung Jabung Timur 93


def text(response):
    return response.get_data(as_text=True)


def days_ago(n: int) -> date:
    return today_local() - timedelta(days=n)


def progress_of(code: str) -> VillageProgress | None:
    """The village's progress as a page shows it: brought up to date first, as pages do.

    Call it after a commit (bringing progress up to date runs in a transaction of its own).
    """
    services.ensure_fresh()
    return db.session.scalars(
        select(VillageProgress)
        .where(VillageProgress.village_code == code)
        .execution_options(populate_existing=True)
    ).first()


def village(code: str) -> Village:
    return db.session.get(Village, code)


# ---- people, events, results ----------------------------------------------------------------


@pytest.fixture
def certify():
    """Certify an officer: every PIMPASA lesson done, then the final exam passed for real.

    The lessons' completions are written as rows (recording them one by one re-checks the
    certification after each lesson); the exam goes through start, answers and submit, and
    the app's own rule certifies.
    """

    def certify_officer(officer):
        db.session.add_all(
            Completion(
                user_id=officer.id,
                lesson_id=lesson.id,
                version_id=lesson.current_version_id,
                via="read",
            )
            for lesson in lessons.list_lessons(certification.OFFICER_TRACK)
        )
        db.session.flush()
        attempt, _token = quizzes.start_attempt(officer, quizzes.get_quiz("ujian-akhir-pimpasa"))
        for item, version in zip(attempt.items, quizzes.item_versions(attempt), strict=True):
            quizzes.save_answer(attempt, item["v"], sorted(version.correct_ids), uuid.uuid4())
        quizzes.submit_attempt(attempt)
        db.session.commit()
        assert certification.is_certified(officer)
        return officer

    return certify_officer


@pytest.fixture
def certified_officer(content, officer, certify):
    """Petugas Satu, assigned to Pembengis, certified PIMPASA."""
    return certify(officer)


@pytest.fixture
def make_event(content, admin):
    """Schedule an event (every required topic by default) and open it, as an officer would."""

    def schedule(
        village_code=PEMBENGIS,
        held_on=None,
        lesson_slugs=ALL_TOPICS,
        status="open",
        title=None,
        officer_ids=(),
    ):
        event = events.create_event(
            title=title or f"Sosialisasi {uuid.uuid4().hex[:4]}",
            village_code=village_code,
            held_on=held_on or days_ago(30),
            place="Balai Desa",
            officer_ids=list(officer_ids),
            lesson_slugs=list(lesson_slugs),
            actor=admin,
        )
        if status != "scheduled":
            events.set_status(event, status, admin)
        db.session.commit()
        return event

    return schedule


def register(event, name=None, village_code=None, age="26-35", consent_by="self"):
    """Register a villager at the event through the events service (not committed)."""
    return events.register_villager(
        event,
        events.Registration(
            name=name or f"Warga {uuid.uuid4().hex[:8]}",
            village_code=village_code or event.village_code,
            age_group=age,
            gender="perempuan",
            consent_by=consent_by,
        ),
    )


def _submitted(participation, quiz, score, event):
    attempt = QuizAttempt(
        id=uuid.uuid4(),
        quiz_id=quiz.id,
        user_id=participation.user_id,
        token_hash=hash_token(uuid.uuid4().hex),
        items=[],
        status="submitted",
        submitted_at=utcnow(),
        correct_count=round(score / 10),
        total=10,
        score=float(score),
        passed=score >= quiz.pass_mark,
        context=events.context_of(event),
    )
    db.session.add(attempt)
    return attempt


@pytest.fixture
def pass_villagers(content):
    """Register `n` villagers at `event` with submitted pre- and post-tests (cheaply, as rows).

    Registration goes through the events service; the two results are written as submitted
    attempt rows in the same transaction, so the commit's refresh counts them.
    """

    def make(event, n, pre=40, post=80, village_code=None, age="26-35", consent_by="self"):
        pretest = quizzes.get_quiz(event.pretest_slug)
        posttest = quizzes.get_quiz(event.posttest_slug)
        made = []
        for _i in range(n):
            participation = register(
                event, village_code=village_code, age=age, consent_by=consent_by
            )
            if pre is not None:
                participation.pretest_attempt_id = _submitted(participation, pretest, pre, event).id
            if post is not None:
                participation.posttest_attempt_id = _submitted(
                    participation, posttest, post, event
                ).id
            participation.step = "done"
            made.append(participation)
        db.session.flush()
        db.session.commit()
        return made

    return make


def take_test(participation: Participation, which: str, right: int = 10) -> QuizAttempt:
    """Drive one villager through a test by the real path: start, answer each, submit."""
    attempt, _token = events.start_test(participation, which)
    for n, (item, version) in enumerate(
        zip(attempt.items, quizzes.item_versions(attempt), strict=True)
    ):
        if n < right:
            choice = sorted(version.correct_ids)
        else:
            choice = [o for o in item["o"] if o not in version.correct_ids][:1]
        quizzes.save_answer(attempt, item["v"], choice, uuid.uuid4())
    return quizzes.submit_attempt(attempt)


@pytest.fixture
def designate(admin):
    """Designate a village desa binaan by decree, through the service."""

    def make(code=PEMBENGIS, decree="SK-12/DSHK/KKT/2026", adult_population=None, on=None):
        designation = services.designate(
            village(code), decree, on or date(2026, 1, 5), adult_population, admin
        )
        db.session.commit()
        return designation

    return make


@pytest.fixture
def signatory(admin):
    """The certificate settings filled in: who signs, and the default number format."""
    services.update_certificate_settings(
        {
            "signatory_name": SIGNATORY_NAME,
            "signatory_nip": SIGNATORY_NIP,
            "signatory_title": "Kepala Kantor",
            "place": "Kuala Tungkal",
            "number_format": "{nomor:03}/DSHK/KKT/{bulan_romawi}/{tahun}",
        },
        None,
        False,
        admin,
    )
    db.session.commit()


@pytest.fixture
def ready_village(certified_officer, designate, make_event, pass_villagers, signatory):
    """Pembengis meeting every default criterion: officer, 2 events, 30 passed, gain, topics."""
    first = make_event(held_on=days_ago(90), lesson_slugs=ALL_TOPICS[:3])
    second = make_event(held_on=days_ago(20), lesson_slugs=ALL_TOPICS[3:])
    pass_villagers(first, 16)
    pass_villagers(second, 14)
    designate()
    row = progress_of(PEMBENGIS)
    assert (row.criteria_met, row.status) == (5, "memenuhi_syarat"), row.__dict__
    return village(PEMBENGIS)


# ---- the whole work area --------------------------------------------------------------------


@pytest.fixture
def whole_work_area():
    """Add the real districts and villages of the default work area (382), removed afterwards.

    The test regions hold 25 work-area villages; paging needs the real number.
    """
    from learning.config import Defaults

    data = Path(Defaults.REGIONS_DATA_DIR)

    def rows(name):
        with gzip.open(data / f"{name}.csv.gz", "rt", encoding="utf-8") as handle:
            yield from csv.DictReader(io.StringIO(handle.read()))

    area = ("15.05", "15.06", "15.07")
    known_districts = set(db.session.scalars(select(District.code)))
    known_villages = set(db.session.scalars(select(Village.code)))
    districts = [
        {"code": r["code"], "regency_code": r["regency_code"], "name": r["name"]}
        for r in rows("districts")
        if r["regency_code"] in area and r["code"] not in known_districts
    ]
    villages = [
        {
            "code": r["code"],
            "district_code": r["district_code"],
            "name": r["name"],
            "kind": VillageKind.from_code(r["code"]),
        }
        for r in rows("villages")
        if r["code"][:5] in area and r["code"] not in known_villages
    ]
    if districts:
        db.session.execute(insert(District), districts)
    db.session.execute(insert(Village), villages)
    db.session.commit()
    yield
    db.session.rollback()
    added = [v["code"] for v in villages]
    for start in range(0, len(added), 200):
        chunk = added[start : start + 200]
        db.session.execute(delete(VillageProgress).where(VillageProgress.village_code.in_(chunk)))
        db.session.execute(delete(Village).where(Village.code.in_(chunk)))
    if districts:
        db.session.execute(
            delete(District).where(District.code.in_([d["code"] for d in districts]))
        )
    db.session.commit()
