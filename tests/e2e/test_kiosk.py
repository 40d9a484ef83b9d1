"""The villager's way in a browser: an officer turns a tablet into a kiosk, villagers go the way.

An officer schedules an event and hands the tablet over; a villager consents, registers, takes
the pre-test, reads the lesson cards, takes the post-test and sees the result; the next
villager starts clean; the officer takes the tablet back with the PIN. Around it: the office
pages a kiosk cannot open, the idle reset, joining by code on a phone, the way without
JavaScript, a returning villager's card, and the weight of the first page.

The correct options are read from the live server's database for the question version each
page shows (its hidden `question` field), so the journeys do not depend on the random draw.
"""

import datetime as dt
import json
import re
import uuid
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, expect
from werkzeug.security import generate_password_hash

from tests.e2e.support import (
    BLOCKING_IMPACTS,
    PHONE,
    TABLET,
    LiveServer,
    assert_accessible,
    describe_violations,
    log_in,
    run_axe,
)

pytestmark = pytest.mark.e2e

PEMBENGIS = "15.06.11.2004"  # Kab. Tanjung Jabung Barat, in tests/data/regions/villages.csv
PIN = "481529"
TEST_QUESTIONS = 10  # content/quizzes.yml: pre-test-warga and post-test-warga, 5 topics x 2
WELCOME = re.compile(r"/kiosk/$")
QUESTION_PAGE = re.compile(r"/quizzes/attempts/[0-9a-f-]{36}/(\d+)$")
FINISH_PAGE = re.compile(r"/quizzes/attempts/[0-9a-f-]{36}/finish$")
FEEDBACK_PAGE = re.compile(r"/quizzes/attempts/[0-9a-f-]{36}/(\d+)/feedback$")
KIOSK_FORBIDDEN = "Tablet ini sedang menjadi kios acara. Halaman kantor tidak dapat dibuka."
PAGE_WEIGHT_LIMIT = 60_000  # bytes of a first visit to the welcome page, over mobile data


# ---- the live server's database ----------------------------------------------------------------


def make_officer(live_server: LiveServer, username: str, name: str, pin: bool = True) -> None:
    """An officer account (password in live_server.passwords), with the kiosk PIN if `pin`."""
    live_server.create_user(username, f"sandi-{username}-2024", display_name=name)
    if pin:
        from learning.accounts.services import get_user_by_username
        from learning.core.database import write_intent
        from learning.extensions import db

        with live_server.app.app_context(), write_intent():
            get_user_by_username(username).pin_hash = generate_password_hash(PIN)
            db.session.commit()


def make_event(live_server: LiveServer, username: str, title: str) -> tuple[str, str]:
    """Schedule an event at Pembengis for the officer; return (event id, join code)."""
    from learning.accounts.services import get_user_by_username
    from learning.core.database import write_intent
    from learning.events import services
    from learning.extensions import db

    slugs = [slug for slug, _title in villager_lessons(live_server)[:2]]
    with live_server.app.app_context(), write_intent():
        officer = get_user_by_username(username)
        event = services.create_event(
            title=title,
            village_code=PEMBENGIS,
            held_on=dt.date.today(),
            place="Balai Desa Pembengis",
            officer_ids=[officer.id],
            lesson_slugs=slugs,
            actor=officer,
        )
        db.session.commit()
        return str(event.id), event.join_code


def open_event(live_server: LiveServer, event_id: str, username: str) -> None:
    """Open the event, as starting a kiosk does."""
    from learning.accounts.services import get_user_by_username
    from learning.core.database import write_intent
    from learning.events import services
    from learning.extensions import db

    with live_server.app.app_context(), write_intent():
        officer = get_user_by_username(username)
        services.set_status(services.get_event(event_id), "open", officer)
        db.session.commit()


def register_in_database(live_server: LiveServer, event_id: str, name: str) -> str:
    """Register a villager at an event straight in the database; return the card code."""
    from learning.core.database import write_intent
    from learning.events import services
    from learning.extensions import db

    with live_server.app.app_context(), write_intent():
        participation = services.register_villager(
            services.get_event(event_id),
            services.Registration(
                name=name, village_code=PEMBENGIS, age_group="36-45", gender="laki-laki"
            ),
        )
        code = services.get_profile(participation.user).card_code
        db.session.commit()
        return code


def villager_lessons(live_server: LiveServer) -> list[tuple[str, str]]:
    """(slug, title) of the villagers' active lessons, in order."""
    from learning.lessons import services as lessons

    with live_server.app.app_context():
        return [(x.slug, x.current_version.title) for x in lessons.list_lessons("warga")]


def lesson_card_counts(live_server: LiveServer, slugs: list[str]) -> list[int]:
    from learning.lessons.content import split_cards
    from learning.lessons.services import get_lesson

    with live_server.app.app_context():
        return [len(split_cards(get_lesson(slug).current_version.body)) for slug in slugs]


def question_options(live_server: LiveServer, version_id: str) -> tuple[str, set[str], set[str]]:
    """(kind, correct option ids, wrong option ids) of a question version."""
    from learning.extensions import db
    from quizzes.models import QuestionVersion

    with live_server.app.app_context():
        version = db.session.get(QuestionVersion, uuid.UUID(version_id))
        every = {o["id"] for o in version.options}
        return version.question.kind, version.correct_ids, every - version.correct_ids


def saved_answers(live_server: LiveServer, name: str) -> int:
    """How many answers the server holds of the villager of this name."""
    from sqlalchemy import func, select

    from learning.accounts.models import User
    from learning.extensions import db
    from quizzes.models import QuizAnswer, QuizAttempt

    with live_server.app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(QuizAnswer)
            .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
            .join(User, User.id == QuizAttempt.user_id)
            .where(User.display_name == name)
        )


def villagers_named(live_server: LiveServer, name: str) -> int:
    from sqlalchemy import func, select

    from learning.accounts.models import User
    from learning.extensions import db

    with live_server.app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(User).where(User.display_name == name)
        )


@contextmanager
def kiosk_timers(live_server: LiveServer, idle: int, ask: int):
    """Shorten the kiosk's idle timers for pages rendered meanwhile; restore them after."""
    config = live_server.app.config
    before = config["KIOSK_IDLE_SECONDS"], config["KIOSK_STILL_THERE_SECONDS"]
    config["KIOSK_IDLE_SECONDS"], config["KIOSK_STILL_THERE_SECONDS"] = idle, ask
    try:
        yield
    finally:
        config["KIOSK_IDLE_SECONDS"], config["KIOSK_STILL_THERE_SECONDS"] = before


# ---- the pages -----------------------------------------------------------------------------------


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def sign_in(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto("/accounts/login")
    log_in(page, username, live_server.passwords[username])
    expect(page).not_to_have_url(re.compile(r"/accounts/(login|password)$"))


def open_event_page(page: Page, title: str) -> None:
    page.get_by_role("navigation", name="Navigasi utama").get_by_role(
        "link", name="Acara", exact=True
    ).click()
    expect(heading(page)).to_have_text("Acara sosialisasi")
    page.get_by_role("link", name=title, exact=True).click()
    expect(heading(page)).to_have_text(title)


def turn_into_kiosk(page: Page, label: str = "Tablet 1") -> None:
    """On the officer's event page: hand the tablet over; it lands on the welcome page."""
    page.get_by_label("Nama tablet").fill(label)
    page.get_by_role("button", name="Jadikan tablet ini kios").click()
    expect(page).to_have_url(WELCOME)
    expect(page.get_by_role("link", name="Mulai", exact=True)).to_be_visible()


def open_kiosk(page: Page, live_server: LiveServer, username: str, event_title: str) -> None:
    """The officer signs in on this tablet and turns it into the event's kiosk."""
    sign_in(page, live_server, username)
    open_event_page(page, event_title)
    turn_into_kiosk(page)


def consent(page: Page) -> None:
    """From the welcome page: Mulai, then agree for oneself."""
    page.get_by_role("link", name="Mulai", exact=True).click()
    expect(heading(page)).to_have_text("Sebelum mulai")
    expect(page.get_by_label("Saya sendiri (18 tahun atau lebih)")).to_be_checked()
    page.get_by_label("Saya sudah membaca dan setuju").check()
    page.get_by_role("button", name="Setuju dan lanjut").click()
    expect(page.get_by_role("heading", name="Peserta baru")).to_be_visible()


def fill_registration(page: Page, name: str) -> None:
    page.get_by_label("Nama", exact=True).fill(name)
    expect(page.get_by_label("Desa/kelurahan")).to_have_value(PEMBENGIS)
    page.get_by_label("26 sampai 35 tahun").check()
    page.get_by_label("Perempuan", exact=True).check()


def register(page: Page, name: str) -> str:
    """Register as a new participant; end on the card page; return the card code."""
    fill_registration(page, name)
    page.get_by_role("button", name="Daftar", exact=True).click()
    expect(heading(page)).to_have_text("Ini kartu peserta Anda")
    expect(page.locator(".card-name")).to_have_text(name)
    code = page.locator(".card-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{6,12}", code), code
    return code


def start_pretest(page: Page) -> None:
    """From the card page: Lanjut, then start the pre-test; end on its first question."""
    page.get_by_role("link", name="Lanjut", exact=True).click()
    expect(heading(page)).to_have_text("Tes awal")
    page.get_by_role("button", name="Mulai tes awal").click()
    expect(page).to_have_url(QUESTION_PAGE)
    assert question_number(page) == 1


def question_number(page: Page) -> int:
    return int(QUESTION_PAGE.search(page.url).group(1))


def tap_answer(page: Page, live_server: LiveServer, correct: bool, autosave: bool = True) -> None:
    """Tap the option(s) of the question shown, right or wrong, as a finger would.

    Where quiz.js autosaves (no per-question feedback), wait for each tap's save before the
    next tap or the button, as in test_officer_exam.
    """
    version_id = page.locator('input[name="question"]').input_value()
    kind, right, wrong = question_options(live_server, version_id)
    picked = right if correct else {sorted(wrong)[0]}
    autosave = autosave and page.locator("form[data-autosave]").count() > 0
    if autosave:
        expect(page.locator("form[data-autosave] .save-status")).to_be_attached()
    for option_id in sorted(picked):
        box = page.locator(f'input[name="choice"][value="{option_id}"]')
        label = page.locator("label.choice").filter(has=box)
        if autosave:
            with page.expect_response(lambda r: r.url.endswith("/answers")) as saved:
                label.click()
            assert saved.value.ok, saved.value.status
        else:
            label.click()
        expect(box).to_be_checked()
    if kind != "multiple":
        assert len(picked) == 1, (kind, picked)


def save_and_continue(page: Page) -> None:
    page.get_by_role("button", name="Simpan jawaban dan lanjut").click()


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def stat(page: Page, label: str):
    """The value of one figure of the event summary, by its label."""
    return (
        page.locator(".stat")
        .filter(has=page.locator(".stat-label", has_text=re.compile(f"^{label}$")))
        .locator(".stat-value")
    )


def accessible_but(page: Page, report, known: set[str]) -> list[dict]:
    """Like assert_accessible, but let the `known` rules pass (all are still written down)."""
    results = run_axe(page)
    violations = results["violations"]
    report.write_text(
        json.dumps(
            {
                "url": page.url,
                "known": sorted(known),
                "violations": [
                    {"id": v["id"], "impact": v["impact"], "help": v["help"]} for v in violations
                ],
            },
            indent=2,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS and v["id"] not in known]
    assert not blocking, describe_violations(blocking)
    return violations


# ---- the journeys --------------------------------------------------------------------------------


def test_an_officer_makes_a_kiosk_a_villager_goes_the_whole_way_and_the_officer_takes_it_back(
    live_server, page, shot, accessible, artifact_dir
):
    username, title = "sari.kiosk", "Sosialisasi Desa Binaan Pembengis"
    make_officer(live_server, username, "Sari Wulandari", pin=False)
    lessons = villager_lessons(live_server)
    assert len(lessons) >= 2, lessons
    chosen = lessons[:2]
    cards = lesson_card_counts(live_server, [slug for slug, _t in chosen])

    # The officer schedules the event on the office pages.
    sign_in(page, live_server, username)
    page.get_by_role("navigation", name="Navigasi utama").get_by_role(
        "link", name="Acara", exact=True
    ).click()
    page.get_by_role("link", name="Jadwalkan acara").click()
    expect(heading(page)).to_have_text("Jadwalkan acara")
    page.get_by_label("Judul acara").fill(title)
    page.get_by_label("Desa/kelurahan").select_option(PEMBENGIS)
    page.get_by_label("Tanggal").fill(dt.date.today().isoformat())
    page.get_by_label("Tempat").fill("Balai Desa Pembengis")
    expect(
        page.get_by_role("group", name="Petugas yang hadir").get_by_label("Sari Wulandari")
    ).to_be_checked()
    boxes = page.get_by_role("group", name="Pelajaran yang ditampilkan").get_by_role("checkbox")
    expect(boxes).to_have_count(len(lessons))
    for index, (_slug, lesson_title) in enumerate(lessons):
        box = page.get_by_role("group", name="Pelajaran yang ditampilkan").get_by_label(
            lesson_title, exact=True
        )
        expect(box).to_be_checked()  # every lesson is offered at first
        if index >= 2:
            box.uncheck()
    shot(page, "event-new")
    accessible(page, "event-new")
    page.get_by_role("button", name="Jadwalkan acara").click()

    expect(heading(page)).to_have_text(title)
    code = page.locator(".event-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4,8}", code), code
    expect(page.get_by_role("status")).to_contain_text(f"Kode bergabung: {code}")
    expect(page.get_by_text(f"/j/{code}")).to_be_visible()
    expect(stat(page, "terdaftar")).to_have_text("0")
    shot(page, "event-page")
    accessible(page, "event-page")

    # No PIN yet: the event page offers to make one; the officer needs it to leave the kiosk.
    page.get_by_role("link", name="Buat PIN dulu").click()
    expect(heading(page)).to_have_text("PIN kios")
    page.get_by_label("PIN kios (6 angka)").fill(PIN)
    shot(page, "pin")
    page.get_by_role("button", name="Simpan PIN").click()
    expect(page.get_by_role("status")).to_have_text("PIN kios disimpan.")
    open_event_page(page, title)  # the PIN page led home, not back to the event
    expect(page.get_by_role("link", name="Buat PIN dulu")).to_have_count(0)
    turn_into_kiosk(page, "Tablet Balai Desa")

    # The tablet is a kiosk now: the welcome page of the event.
    expect(page.locator(".kiosk-title")).to_have_text(title)
    expect(page.get_by_role("link", name="Petugas: keluar dari kios")).to_be_visible()
    expect(page.get_by_role("navigation", name="Navigasi utama")).to_have_count(0)
    shot(page, "kiosk-welcome")
    accessible(page, "kiosk-welcome")

    # Consent: refused without the tick, then given.
    page.get_by_role("link", name="Mulai", exact=True).click()
    expect(heading(page)).to_have_text("Sebelum mulai")
    expect(page.get_by_text("Kami tidak meminta NIK.", exact=False)).to_be_visible()
    shot(page, "consent")
    accessible(page, "consent")
    page.get_by_role("button", name="Setuju dan lanjut").click()
    expect(page.get_by_text("Centang tanda setuju untuk lanjut.")).to_be_visible()
    shot(page, "consent-refused")
    page.get_by_label("Saya sudah membaca dan setuju").check()
    page.get_by_role("button", name="Setuju dan lanjut").click()

    # Registration as a new participant, then the card.
    expect(page.get_by_role("heading", name="Peserta baru")).to_be_visible()
    fill_registration(page, "Siti Aminah")
    shot(page, "register")
    accessible(page, "register")
    page.get_by_role("button", name="Daftar", exact=True).click()
    expect(heading(page)).to_have_text("Ini kartu peserta Anda")
    expect(page.locator(".card-name")).to_have_text("Siti Aminah")
    expect(page.locator(".card-qr svg")).to_be_visible()
    expect(page.get_by_text("Nomor peserta di acara ini: 1")).to_be_visible()
    shot(page, "card")
    accessible(page, "card")

    # The pre-test: every question answered by tapping, half of them right.
    start_pretest(page)
    for n in range(1, TEST_QUESTIONS + 1):
        expect(page).to_have_url(QUESTION_PAGE)
        assert question_number(page) == n
        expect(page.locator(".question-card .hint")).to_contain_text(
            f"Soal {n} dari {TEST_QUESTIONS}"
        )
        tap_answer(page, live_server, correct=n % 2 == 1)
        if n in (1, TEST_QUESTIONS):
            shot(page, f"pretest-question-{n}")
        if n == 1:
            accessible(page, "pretest-question")
        save_and_continue(page)
    # The quiz pages in the kiosk layout have no <h1>: the URL and the text tell the page.
    expect(page).to_have_url(FINISH_PAGE)
    expect(
        page.get_by_text(f"{TEST_QUESTIONS} dari {TEST_QUESTIONS} soal sudah dijawab.")
    ).to_be_visible()
    shot(page, "pretest-finish")
    accessible(page, "pretest-finish")
    page.get_by_role("button", name="Kumpulkan jawaban").click()

    # The lesson cards of both lessons, one after another.
    seen = 0
    for index, ((_slug, lesson_title), count) in enumerate(zip(chosen, cards, strict=True)):
        for card_no in range(count):
            expect(page).to_have_url(re.compile(f"/kiosk/lesson/{index}/{card_no}$"))
            expect(page.locator(".kiosk-progress")).to_have_text(
                f"Pelajaran {index + 1} dari 2 · kartu {card_no + 1} dari {count}"
            )
            if card_no == 0:
                expect(page.locator(".lesson-name")).to_have_text(lesson_title)
            seen += 1
            shot(page, f"lesson-{index + 1}-card-{card_no + 1}")
            if seen == 1:
                accessible(page, "lesson-card")
            if index == 1 and card_no == count - 1:
                break
            page.get_by_role("link", name="Lanjut", exact=True).click()
    expect(page.get_by_role("link", name="Lanjut", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Mulai tes akhir").click()

    # The post-test explains every answer at once; one of them is wrong.
    for n in range(1, TEST_QUESTIONS + 1):
        expect(page).to_have_url(QUESTION_PAGE)
        assert question_number(page) == n
        right = n != 2
        tap_answer(page, live_server, correct=right)
        if n in (1, 2):
            shot(page, f"posttest-question-{n}")
        save_and_continue(page)
        expect(page).to_have_url(FEEDBACK_PAGE)
        expect(page.locator(".verdict")).to_have_text("Benar!" if right else "Belum tepat.")
        if n in (1, 2, TEST_QUESTIONS):
            shot(page, f"posttest-feedback-{n}")
        if n == 1:
            accessible(page, "posttest-feedback")
        page.get_by_role("link", name="Lanjut", exact=True).click()
    expect(page).to_have_url(FINISH_PAGE)
    expect(
        page.get_by_text(f"{TEST_QUESTIONS} dari {TEST_QUESTIONS} soal sudah dijawab.")
    ).to_be_visible()
    shot(page, "posttest-finish")
    page.get_by_role("button", name="Kumpulkan jawaban").click()

    # The result, then "Selesai" hands the tablet to the next villager.
    expect(heading(page)).to_have_text("Terima kasih sudah belajar!")
    expect(page.locator(".kiosk-score")).to_have_text(f"9 dari {TEST_QUESTIONS} jawaban benar")
    expect(page.get_by_text(f"Tes awal: 5 dari {TEST_QUESTIONS} benar.")).to_be_visible()
    expect(page.locator(".review-item")).to_have_count(TEST_QUESTIONS)
    expect(page.locator(".review-item.is-wrong")).to_have_count(1)
    shot(page, "result")
    accessible(page, "result")
    page.get_by_role("button", name="Selesai").click()

    # The next villager starts clean: nothing of Siti is left on the tablet.
    expect(page).to_have_url(WELCOME)
    expect(page.get_by_role("link", name="Mulai", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Lanjutkan")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("Siti Aminah")
    shot(page, "next-villager-welcome")
    page.goto("/kiosk/card")
    expect(page).to_have_url(WELCOME)
    page.goto("/kiosk/result")
    expect(page).to_have_url(WELCOME)
    expect(page.locator("body")).not_to_contain_text("Siti Aminah")
    consent(page)
    expect(page.get_by_label("Nama", exact=True)).to_have_value("")
    expect(page.get_by_label("Kode kartu peserta")).to_have_value("")
    expect(page.locator("body")).not_to_contain_text("Siti Aminah")
    shot(page, "next-villager-register")

    # The officer takes the tablet back: a wrong PIN is refused, the right one lets in.
    page.get_by_role("link", name="Petugas: keluar dari kios").click()
    expect(heading(page)).to_have_text("Khusus petugas")
    page.get_by_label("PIN petugas").fill("000000")
    page.get_by_role("button", name="Keluar dari mode kios").click()
    expect(page.get_by_text("PIN salah.")).to_be_visible()
    shot(page, "exit-wrong-pin")
    accessible(page, "exit")
    page.get_by_label("PIN petugas").fill(PIN)
    page.get_by_role("button", name="Keluar dari mode kios").click()
    expect(heading(page)).to_have_text(title)
    expect(page.get_by_role("navigation", name="Navigasi utama")).to_be_visible()
    expect(stat(page, "terdaftar")).to_have_text("1")
    expect(stat(page, "tes awal selesai")).to_have_text("1")
    expect(stat(page, "tes akhir selesai")).to_have_text("1")
    row = page.get_by_role("row").filter(has_text="Siti Aminah")
    expect(row).to_contain_text("26-35")
    shot(page, "event-page-after")
    # An open event's page refreshes itself by <meta http-equiv="refresh">, which axe-core
    # Every rule counts here.
    accessible_but(page, artifact_dir / "axe-event-page-after.json", known=set())


def test_the_kiosk_cannot_reach_office_pages(live_server, page, shot, accessible):
    username, title = "kiosk.forbidden", "Sosialisasi kios terkunci"
    make_officer(live_server, username, "Petugas Kios Terkunci")
    event_id, _code = make_event(live_server, username, title)
    open_kiosk(page, live_server, username, title)

    for name, url in (
        ("accounts-manage", "/accounts/manage/"),
        ("events", "/events/"),
        ("lessons", "/lessons/"),
        ("event-page", f"/events/{event_id}"),
        ("login", "/accounts/login"),
    ):
        response = page.goto(url)
        assert response.status == 403, (url, response.status)
        expect(heading(page)).to_have_text("Akses ditolak")
        expect(page.get_by_text(KIOSK_FORBIDDEN)).to_be_visible()
        shot(page, f"forbidden-{name}")
        if name == "events":
            accessible(page, "forbidden")

    # The villager's way is still open.
    page.goto("/kiosk/")
    expect(page.get_by_role("link", name="Mulai", exact=True)).to_be_visible()


def test_a_refused_page_leads_the_kiosk_back_to_its_welcome(live_server, page):
    username, title = "kiosk.dead-end", "Sosialisasi jalan buntu"
    make_officer(live_server, username, "Petugas Jalan Buntu")
    make_event(live_server, username, title)
    open_kiosk(page, live_server, username, title)
    assert page.goto("/events/").status == 403
    page.get_by_role("link", name="Kembali ke awal").click()
    expect(page).to_have_url(WELCOME)


def test_an_idle_tablet_resets_itself_and_asks_first_in_the_middle_of_the_way(
    live_server, page, shot, accessible
):
    username, title = "kiosk.idle", "Sosialisasi kios diam"
    make_officer(live_server, username, "Petugas Kios Diam")
    make_event(live_server, username, title)
    open_kiosk(page, live_server, username, title)
    consent(page)
    register(page, "Rudi Diam")

    # The result page resets the tablet by itself after KIOSK_IDLE_SECONDS untouched. The
    # short timers are written into the page when it is rendered: only that page gets them.
    with kiosk_timers(live_server, idle=2, ask=3):
        page.goto("/kiosk/result")
    expect(heading(page)).to_have_text("Terima kasih sudah belajar!")
    expect(page.locator("main")).to_have_attribute("data-idle", "reset")
    shot(page, "result-before-idle")
    expect(page).to_have_url(WELCOME, timeout=8_000)
    expect(page.get_by_role("link", name="Mulai", exact=True)).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Rudi Diam")
    shot(page, "welcome-after-idle")
    page.goto("/kiosk/card")  # Rudi is forgotten
    expect(page).to_have_url(WELCOME)

    # In the middle of the way the tablet asks first, after KIOSK_STILL_THERE_SECONDS.
    consent(page)
    register(page, "Wati Diam")
    with kiosk_timers(live_server, idle=2, ask=3):
        page.goto("/kiosk/lesson/0/0")
    expect(page.locator("main")).to_have_attribute("data-idle", "ask")
    dialog = page.get_by_role("alertdialog", name="Masih di sini?")
    expect(dialog).to_be_hidden()
    expect(dialog).to_be_visible(timeout=8_000)
    yes = dialog.get_by_role("button", name="Ya, lanjutkan")
    expect(yes).to_be_focused()
    shot(page, "still-there")
    accessible(page, "still-there")
    yes.click()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/kiosk/lesson/0/0$"))
    expect(page.locator(".kiosk-progress")).to_contain_text("Pelajaran 1 dari 2")
    shot(page, "still-there-answered")
    # Pressing "Ya" armed the timer again: the question comes back, the page stays.
    expect(dialog).to_be_visible(timeout=8_000)
    expect(page).to_have_url(re.compile(r"/kiosk/lesson/0/0$"))
    dialog.get_by_role("button", name="Ya, lanjutkan").click()
    expect(dialog).to_be_hidden()
    page.goto("/kiosk/card")  # Wati is still the one on the tablet
    expect(page.locator(".card-name")).to_have_text("Wati Diam")


def test_a_test_question_left_alone_asks_if_anyone_is_still_there(live_server, page, shot):
    username, title = "kiosk.idle-question", "Sosialisasi soal ditinggal"
    make_officer(live_server, username, "Petugas Soal Ditinggal")
    make_event(live_server, username, title)
    open_kiosk(page, live_server, username, title)
    consent(page)
    register(page, "Joko Pergi")
    start_pretest(page)
    with kiosk_timers(live_server, idle=2, ask=2):
        page.reload()
    shot(page, "question-left-alone")
    expect(page.get_by_role("alertdialog", name="Masih di sini?")).to_be_visible(timeout=6_000)


@pytest.mark.browser_context_args(viewport=PHONE)
def test_a_villager_joins_by_code_on_a_phone_and_reaches_the_pretest(
    live_server, page, shot, accessible
):
    username, title = "kiosk.phone", "Sosialisasi lewat ponsel"
    make_officer(live_server, username, "Petugas Ponsel")
    _event_id, code = make_event(live_server, username, title)
    assert page.viewport_size == PHONE

    page.goto("/j")
    expect(heading(page)).to_have_text("Masuk ke acara sosialisasi")
    shot(page, "join")
    accessible(page, "join")
    page.get_by_role("button", name="Masuk ke acara").click()  # nothing typed yet
    expect(page.get_by_text("Tulis kode acara.")).to_be_visible()
    page.get_by_label("Kode acara").fill(code.lower())  # as typed from the poster
    shot(page, "join-typed")
    page.get_by_role("button", name="Masuk ke acara").click()

    expect(page).to_have_url(WELCOME)
    expect(page.locator(".kiosk-title")).to_have_text(title)
    expect(page.get_by_role("link", name="Petugas: keluar dari kios")).to_have_count(0)
    no_horizontal_scroll(page)
    shot(page, "phone-welcome")
    accessible(page, "phone-welcome")
    page.get_by_role("link", name="Mulai", exact=True).click()
    expect(heading(page)).to_have_text("Sebelum mulai")
    no_horizontal_scroll(page)
    shot(page, "phone-consent")
    page.get_by_label("Saya sudah membaca dan setuju").check()
    page.get_by_role("button", name="Setuju dan lanjut").click()
    expect(page.get_by_role("heading", name="Peserta baru")).to_be_visible()
    fill_registration(page, "Nur Ponsel")
    no_horizontal_scroll(page)
    shot(page, "phone-register")
    page.get_by_role("button", name="Daftar", exact=True).click()
    expect(heading(page)).to_have_text("Ini kartu peserta Anda")
    no_horizontal_scroll(page)
    shot(page, "phone-card")
    start_pretest(page)
    expect(page.locator(".question-card .hint")).to_contain_text(f"Soal 1 dari {TEST_QUESTIONS}")
    expect(page.locator("label.choice").first).to_be_visible()
    no_horizontal_scroll(page)
    shot(page, "phone-pretest-question-1")
    accessible(page, "phone-pretest-question")

    # A wrong code is refused in Indonesian.
    response = page.goto("/j/ZZZZZZ")
    assert response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("Kode acara tidak ditemukan")
    shot(page, "join-unknown-code")


def test_the_villagers_way_works_without_javascript(live_server, new_context, shot):
    # No axe-core check here: it is a script, and these pages run none.
    username, title = "kiosk.no-js", "Sosialisasi tanpa skrip"
    make_officer(live_server, username, "Petugas Tanpa Skrip")
    make_event(live_server, username, title)
    page = new_context(java_script_enabled=False).new_page()
    open_kiosk(page, live_server, username, title)
    shot(page, "welcome-no-js")

    consent(page)
    register(page, "Yanti Tanpa Skrip")
    shot(page, "card-no-js")
    start_pretest(page)
    expect(page.locator(".save-status")).to_have_count(0)  # quiz.js did not run
    tap_answer(page, live_server, correct=True, autosave=False)
    shot(page, "pretest-question-1-no-js")
    assert saved_answers(live_server, "Yanti Tanpa Skrip") == 0
    save_and_continue(page)

    expect(page).to_have_url(QUESTION_PAGE)
    assert question_number(page) == 2
    expect(page.locator(".quiz-progress .dot").first).to_have_class(re.compile(r"\bis-answered\b"))
    assert saved_answers(live_server, "Yanti Tanpa Skrip") == 1
    shot(page, "pretest-question-2-no-js")


def test_a_returning_villager_shows_the_card_and_skips_registration(
    live_server, page, shot, accessible
):
    username = "kiosk.card"
    make_officer(live_server, username, "Petugas Kartu")
    earlier_id, _code = make_event(live_server, username, "Sosialisasi bulan lalu")
    card_code = register_in_database(live_server, earlier_id, "Ahmad Kembali")
    title = "Sosialisasi lanjutan"
    make_event(live_server, username, title)
    open_kiosk(page, live_server, username, title)

    consent(page)
    card = page.get_by_label("Kode kartu peserta")
    card.fill(f" {card_code.lower()} ")  # as read off the card, in any case
    shot(page, "card-code-typed")
    page.get_by_role("button", name="Lanjut dengan kartu").click()

    # Straight to the next step: no registration form, no second card, no second person.
    expect(page).to_have_url(re.compile(r"/kiosk/next$"))
    expect(heading(page)).to_have_text("Tes awal")
    expect(page.get_by_role("button", name="Mulai tes awal")).to_be_visible()
    shot(page, "next-step")
    accessible(page, "next-step")
    assert villagers_named(live_server, "Ahmad Kembali") == 1

    page.get_by_role("button", name="Mulai tes awal").click()
    expect(page).to_have_url(QUESTION_PAGE)


def test_the_welcome_page_is_light_on_a_first_visit(live_server, new_context, artifact_dir):
    """What a phone downloads when it opens the event by its code, with an empty cache."""
    username = "kiosk.weight"
    make_officer(live_server, username, "Petugas Ukur")
    _event_id, code = make_event(live_server, username, "Sosialisasi ringan")
    context = new_context()
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(f"/j/{code}")
    expect(page).to_have_url(WELCOME)
    page.wait_for_load_state("networkidle")

    rows, total = [], 0
    for request in finished:
        sizes = request.sizes()
        size = sizes["responseHeadersSize"] + sizes["responseBodySize"]
        total += size
        path = request.url.removeprefix(live_server.url)
        rows.append(f"{size:>7} B  {request.resource_type:<10} {path}")
    entries = page.evaluate(
        """() => performance.getEntriesByType('navigation')
               .concat(performance.getEntriesByType('resource'))
               .map(e => [e.name, e.transferSize, e.encodedBodySize, e.decodedBodySize])"""
    )
    report = "\n".join(
        [
            "Welcome page, first visit (response headers + body, as transferred):",
            *rows,
            f"{total:>7} B  total of {len(rows)} responses",
            "Performance entries (transferSize / encodedBodySize / decodedBodySize):",
            *(
                f"  {t:>7} {e:>7} {d:>7}  {n.removeprefix(live_server.url)}"
                for n, t, e, d in entries
            ),
        ]
    )
    print(report)
    (artifact_dir / "page-weight.txt").write_text(report + "\n", encoding="utf-8")
    assert any("kiosk.js" in r.url for r in finished), rows
    assert total < PAGE_WEIGHT_LIMIT, report
    assert page.viewport_size == TABLET


def test_an_open_events_page_passes_axe_core(live_server, page, artifact_dir):
    username, title = "kiosk.refresh", "Sosialisasi sedang berlangsung"
    make_officer(live_server, username, "Petugas Segar")
    event_id, _code = make_event(live_server, username, title)
    open_event(live_server, event_id, username)
    sign_in(page, live_server, username)
    page.goto(f"/events/{event_id}")
    expect(heading(page)).to_have_text(title)
    assert_accessible(page, report=artifact_dir / "axe-open-event-page.json")
