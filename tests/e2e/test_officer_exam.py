"""An officer passes a practice quiz and the final exam, and becomes a certified PIMPASA.

The correct options are read from the live server's database for the question version each
page shows (its hidden `question` field), so the journey does not depend on the random draw.
"""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import LiveServer, change_password, log_in, log_in_as_admin

pytestmark = pytest.mark.e2e

TRACK = "pimpasa"
EXAM_TITLE = "Ujian akhir Pembekalan PIMPASA"
PRACTICE_QUESTIONS = 5  # content/quizzes.yml, practice.questions
QUESTION_PAGE = re.compile(r"/quizzes/attempts/[0-9a-f-]{36}/(\d+)$")


# ---- the live server's database ----------------------------------------------------------------


def officer_lessons(live_server: LiveServer) -> list[tuple[str, str]]:
    """(slug, title) of the officer track's active lessons, in order."""
    from learning.lessons import services as lessons

    with live_server.app.app_context():
        return [(x.slug, x.current_version.title) for x in lessons.list_lessons(TRACK)]


def complete_lessons(live_server: LiveServer, username: str, slugs: list[str]) -> None:
    """Record the officer's completion of these lessons, as if they had read them."""
    from learning.accounts.services import get_user_by_username
    from learning.core.database import write_intent
    from learning.extensions import db
    from learning.lessons import services as lessons

    with live_server.app.app_context(), write_intent():
        user = get_user_by_username(username)
        for slug in slugs:
            assert lessons.record_completion(user, lessons.get_lesson(slug)), slug
        db.session.commit()


def question_options(live_server: LiveServer, version_id: str) -> tuple[str, set[str], set[str]]:
    """(kind, correct option ids, wrong option ids) of a question version."""
    from learning.extensions import db
    from quizzes.models import QuestionVersion

    with live_server.app.app_context():
        version = db.session.get(QuestionVersion, uuid.UUID(version_id))
        every = {o["id"] for o in version.options}
        return version.question.kind, version.correct_ids, every - version.correct_ids


# ---- the pages -----------------------------------------------------------------------------------


def sign_in_officer(page: Page, live_server: LiveServer, username: str, new_password: str) -> None:
    """Log in; change the temporary password if the account must; end on the landing page."""
    temporary = live_server.passwords[username]
    page.goto("/accounts/login")
    log_in(page, username, temporary)
    if page.url.endswith("/accounts/password"):
        change_password(page, temporary, new_password)
        live_server.passwords[username] = new_password
        expect(page.get_by_role("status")).to_have_text("Kata sandi sudah diganti.")
    expect(page).not_to_have_url(re.compile(r"/accounts/(login|password)$"))


def open_quiz_list(page: Page) -> None:
    page.get_by_role("navigation", name="Navigasi utama").get_by_role(
        "link", name="Kuis dan ujian"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kuis dan ujian")


def start_practice(page: Page, lesson_title: str) -> None:
    row = page.get_by_role("row").filter(has_text=lesson_title)
    row.get_by_role("button", name="Latihan", exact=True).click()
    expect(page).to_have_url(QUESTION_PAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Latihan: {lesson_title}")


def question_number(page: Page) -> int:
    return int(QUESTION_PAGE.search(page.url).group(1))


def choice(page: Page, option_id: str):
    return page.locator(f'input[name="choice"][value="{option_id}"]')


def choose(
    page: Page, live_server: LiveServer, correct: bool = True, autosave: bool = True
) -> set[str]:
    """Tap the option(s) of the question shown, right or wrong; return the ids tapped.

    With `autosave` (JavaScript on), wait for each tap's save before the next tap, as a person
    would: quiz.js sends every change at once, and saves that overtake one another could leave
    a half-ticked answer as the last one saved.
    """
    version_id = page.locator('input[name="question"]').input_value()
    kind, right, wrong = question_options(live_server, version_id)
    picked = right if correct else {sorted(wrong)[0]}
    # Autosave runs only where an answer may still change (no per-question feedback).
    autosave = autosave and page.locator("form[data-autosave]").count() > 0
    if autosave:  # quiz.js has run: its status line is there
        expect(page.locator("form[data-autosave] .save-status")).to_be_attached()
    for option_id in sorted(picked):
        label = page.locator("label.choice").filter(has=choice(page, option_id))
        if autosave:
            with page.expect_response(lambda r: r.url.endswith("/answers")) as saved:
                label.click()
            assert saved.value.ok, saved.value.status
        else:
            label.click()
        expect(choice(page, option_id)).to_be_checked()
    if kind != "multiple":
        assert len(picked) == 1, (kind, picked)
    return picked


def save_and_continue(page: Page) -> None:
    page.get_by_role("button", name="Simpan jawaban dan lanjut").click()


# ---- the journeys --------------------------------------------------------------------------------


def test_officer_passes_a_practice_quiz_and_the_exam_and_is_certified(
    live_server, page, new_context, shot, accessible
):
    username, name = "dewi.lestari", "Dewi Lestari"
    live_server.create_user(
        username, "sementara-dewi-1", display_name=name, must_change_password=True
    )
    lessons = officer_lessons(live_server)
    assert len(lessons) >= 2, lessons
    *earlier, (last_slug, last_title) = lessons
    # Every lesson but the last is done already; passing its practice quiz completes it.
    complete_lessons(live_server, username, [slug for slug, _title in earlier])

    sign_in_officer(page, live_server, username, "batang-asam-2024")
    open_quiz_list(page)
    expect(page.get_by_text("Pelajaran Anda belum semuanya selesai.")).to_be_visible()
    exam_card = page.locator("section.card").filter(
        has=page.get_by_role("heading", name=EXAM_TITLE)
    )
    expect(exam_card).to_contain_text("kesempatan 0 dari 3 terpakai")
    shot(page, "quiz-list")
    accessible(page, "quiz-list")

    # The practice quiz of the last lesson: every answer right, each one discussed at once.
    start_practice(page, last_title)
    for n in range(1, PRACTICE_QUESTIONS + 1):
        expect(page).to_have_url(QUESTION_PAGE)
        assert question_number(page) == n
        expect(page.locator(".question-card .hint").first).to_contain_text(
            f"Soal {n} dari {PRACTICE_QUESTIONS}"
        )
        choose(page, live_server, correct=True)
        shot(page, f"practice-question-{n}")
        if n == 1:
            accessible(page, "practice-question")
        save_and_continue(page)
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Pembahasan soal {n}")
        expect(page.locator(".verdict")).to_have_text("Benar!")
        shot(page, f"practice-feedback-{n}")
        if n == 1:
            accessible(page, "practice-feedback")
        page.get_by_role("link", name="Lanjut", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Kumpulkan jawaban")
    expect(
        page.get_by_text(f"{PRACTICE_QUESTIONS} dari {PRACTICE_QUESTIONS} soal sudah")
    ).to_be_visible()
    shot(page, "practice-finish")
    page.get_by_role("button", name="Kumpulkan jawaban").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hasil: Latihan: {last_title}")
    expect(page.locator(".result .verdict")).to_have_text("Lulus")
    expect(page.locator(".result")).to_contain_text(
        f"{PRACTICE_QUESTIONS} dari {PRACTICE_QUESTIONS} soal benar"
    )
    shot(page, "practice-result")
    accessible(page, "practice-result")

    # The practice quiz completed the last lesson: the exam now certifies.
    page.get_by_role("link", name="Kembali ke daftar kuis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kuis dan ujian")
    expect(page.get_by_text("Pelajaran Anda belum semuanya selesai.")).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text=last_title)).to_contain_text("lulus")
    shot(page, "quiz-list-after-practice")

    exam_card.get_by_role("button", name="Mulai atau lanjutkan ujian").click()
    expect(page).to_have_url(QUESTION_PAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text(EXAM_TITLE)
    hint = page.locator(".question-card .hint").first
    total = int(re.search(r"Soal 1 dari (\d+)", hint.inner_text()).group(1))
    assert total == 2 * len(lessons), total  # per_topic: 2 in content/quizzes.yml
    for n in range(1, total + 1):
        expect(page).to_have_url(QUESTION_PAGE)
        assert question_number(page) == n
        expect(hint).to_contain_text(f"Soal {n} dari {total}")
        choose(page, live_server, correct=True)
        if n in (1, total):
            shot(page, f"exam-question-{n}")
        if n == 1:
            accessible(page, "exam-question")
        save_and_continue(page)  # the exam discusses the answers only at the end

    expect(page.get_by_role("heading", level=1)).to_have_text("Kumpulkan jawaban")
    expect(page.get_by_text(f"{total} dari {total} soal sudah dijawab.")).to_be_visible()
    expect(page.get_by_text("Soal yang belum dijawab dihitung salah.")).to_have_count(0)
    shot(page, "exam-finish")
    accessible(page, "exam-finish")
    page.get_by_role("button", name="Kumpulkan jawaban").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hasil: {EXAM_TITLE}")
    expect(page.locator(".result .verdict")).to_have_text("Lulus")
    expect(page.locator(".result")).to_contain_text(f"{total} dari {total} soal benar")
    expect(page.get_by_text("Selamat! Anda sekarang PIMPASA bersertifikat.")).to_be_visible()
    expect(page.locator(".review-item")).to_have_count(total)
    expect(page.locator(".review-item.is-wrong")).to_have_count(0)
    shot(page, "exam-result")
    accessible(page, "exam-result")

    # The office sees the new certification, in a browser context of its own.
    admin_page = new_context().new_page()
    log_in_as_admin(admin_page, live_server)
    admin_page.goto("/quizzes/manage/certifications")
    expect(admin_page.get_by_role("heading", level=1)).to_have_text("Sertifikasi PIMPASA")
    row = admin_page.get_by_role("row").filter(has_text=name)
    expect(row.locator(".badge")).to_have_text(re.compile(r"^Bersertifikat \S"))
    expect(row.get_by_role("button", name="Cabut sertifikasi")).to_be_visible()
    shot(admin_page, "admin-certifications")
    accessible(admin_page, "admin-certifications")


def start_exam(page: Page) -> None:
    card = page.locator("section.card").filter(has_text=EXAM_TITLE)
    card.get_by_role("button", name="Mulai atau lanjutkan ujian").click()
    expect(page).to_have_url(QUESTION_PAGE)


def test_quiz_pages_work_by_plain_form_posts_without_javascript(live_server, new_context, shot):
    # No axe-core check here: it is a script, and this page runs none.
    username = "yusuf.no-js"
    live_server.create_user(username, "sementara-yusuf-1", display_name="Yusuf Tanpa Skrip")
    (_slug, title), *_rest = officer_lessons(live_server)
    page = new_context(java_script_enabled=False).new_page()
    sign_in_officer(page, live_server, username, "sementara-yusuf-1")
    open_quiz_list(page)
    start_practice(page, title)
    practice_url = page.url.rsplit("/", 1)[0]
    expect(page.locator(".save-status")).to_have_count(0)  # quiz.js did not run

    choose(page, live_server, correct=True, autosave=False)
    shot(page, "practice-question-1-no-js")
    save_and_continue(page)
    expect(page.locator(".verdict")).to_have_text("Benar!")
    shot(page, "practice-feedback-1-no-js")
    # Once explained, a practice answer is final: the question leads back to its feedback.
    page.goto(f"{practice_url}/1")
    expect(page.locator(".verdict")).to_have_text("Benar!")

    # The exam explains only at the end: answers can be revisited and stay chosen.
    open_quiz_list(page)
    start_exam(page)
    exam_url = page.url.rsplit("/", 1)[0]
    first = choose(page, live_server, correct=True, autosave=False)
    save_and_continue(page)
    assert question_number(page) == 2
    second = choose(page, live_server, correct=False, autosave=False)
    save_and_continue(page)
    assert question_number(page) == 3
    for n, chosen in ((1, first), (2, second)):
        page.goto(f"{exam_url}/{n}")
        for box in page.locator('input[name="choice"]').all():
            if box.get_attribute("value") in chosen:
                expect(box).to_be_checked()
            else:
                expect(box).not_to_be_checked()
        progress = page.locator(".quiz-progress .dot")
        expect(progress.nth(0)).to_have_class(re.compile(r"\bis-answered\b"))
        expect(progress.nth(1)).to_have_class(re.compile(r"\bis-answered\b"))
        expect(progress.nth(2)).not_to_have_class(re.compile(r"\bis-answered\b"))
        shot(page, f"exam-question-{n}-revisited-no-js")


def test_choosing_an_option_autosaves_it_before_the_button_is_pressed(
    live_server, page, shot, accessible
):
    username = "rina.autosave"
    live_server.create_user(username, "sementara-rina-1", display_name="Rina Simpan Otomatis")
    sign_in_officer(page, live_server, username, "sementara-rina-1")
    open_quiz_list(page)
    start_exam(page)  # autosave runs where the answer may still change (no per-question feedback)

    status = page.locator("form[data-autosave]").get_by_role("status")
    expect(status).to_have_text("")
    picked = choose(page, live_server, correct=True)
    expect(status).to_have_text("Tersimpan")
    shot(page, "autosaved")
    accessible(page, "autosaved")

    # Saved on the server, though "Simpan jawaban dan lanjut" was never pressed.
    page.reload()
    for option_id in picked:
        expect(choice(page, option_id)).to_be_checked()
    expect(page.locator(".quiz-progress .dot").first).to_have_class(re.compile(r"\bis-answered\b"))
    expect(status).to_have_text("")
    shot(page, "reloaded")
