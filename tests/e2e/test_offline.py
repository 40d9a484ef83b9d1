"""A dropped connection loses no answer: the browser's outbox, over HTTPS and plain HTTP.

Field mode serves the tablets from a laptop. A villager's phone reaches it over plain HTTP at
the laptop's address (not a secure context: no service worker); the office's tablets over HTTPS
with the office's own authority (a service worker keeps the pages). In both, answers given
while the connection is down wait in the browser's outbox and reach the database exactly once
when it comes back.
"""

import re
import threading

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from learning.field.network import local_addresses
from tests.e2e.support import LiveServer
from tests.e2e.test_kiosk import (
    QUESTION_PAGE,
    TEST_QUESTIONS,
    consent,
    make_event,
    make_officer,
    question_number,
    register,
    save_and_continue,
    start_pretest,
    tap_answer,
)

pytestmark = pytest.mark.e2e

WAITING = re.compile(r"Menunggu koneksi: (\d+) jawaban tersimpan di tablet ini")


@pytest.fixture(scope="module")
def lan_url(live_server: LiveServer):
    """The live server's app served a second time, on the machine's non-loopback address."""
    addresses = local_addresses()  # field mode's own choice of the laptop's addresses
    if not addresses:
        pytest.skip("no non-loopback IPv4 address on this machine")
    address = addresses[0]
    server = make_server(address, 0, live_server.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-lan-server", daemon=True)
    thread.start()
    yield f"http://{address}:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def answers_by_question(live_server: LiveServer, name: str) -> dict[str, int]:
    """Rows per question version of the villager's attempts: 1 each when nothing doubled."""
    from sqlalchemy import func, select

    from learning.accounts.models import User
    from learning.extensions import db
    from quizzes.models import QuizAnswer, QuizAttempt

    with live_server.app.app_context():
        rows = db.session.execute(
            select(QuizAnswer.question_version_id, func.count())
            .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
            .join(User, User.id == QuizAttempt.user_id)
            .where(User.display_name == name)
            .group_by(QuizAnswer.question_version_id)
        ).all()
    return {str(v): n for v, n in rows}


def outbox_size(page: Page) -> int:
    return page.evaluate("JSON.parse(localStorage.getItem('sadar-outbox-v1') || '[]').length")


def join_on_phone(page: Page, base: str, code: str, name: str) -> None:
    """A villager's own phone: the join address, consent, registration, the pre-test's start."""
    page.goto(f"{base}/j/{code}")
    consent(page)
    register(page, name)
    start_pretest(page)


def test_a_phone_over_plain_http_keeps_answers_through_a_dropped_connection_and_a_reload(
    live_server, lan_url, new_context, shot
):
    username, title, name = "offline.http", "Sosialisasi sinyal lemah", "Wati Sinyal Lemah"
    make_officer(live_server, username, "Petugas Sinyal Lemah")
    _event_id, code = make_event(live_server, username, title)
    context = new_context()
    page = context.new_page()
    join_on_phone(page, lan_url, code, name)
    assert page.evaluate("window.isSecureContext") is False  # no service worker here

    tap_answer(page, live_server, correct=True)  # question 1, online: saved at once
    save_and_continue(page)
    expect(page).to_have_url(QUESTION_PAGE)
    assert question_number(page) == 2

    context.set_offline(True)
    offline_questions = []
    for n in (2, 3, 4):
        expect(page.locator(".question-card .hint")).to_contain_text(f"Soal {n} dari")
        offline_questions.append(page.locator('input[name="question"]').input_value())
        tap_answer(page, live_server, correct=n != 3, autosave=False)
        save_and_continue(page)
    status = page.locator(".save-status")
    expect(status).to_have_text(WAITING)
    expect(status).to_contain_text("Jangan muat ulang halaman")
    assert WAITING.search(status.inner_text()).group(1) == "3"
    expect(page.locator(".question-card .hint")).to_contain_text("Soal 5 dari")
    assert question_number(page) == 5  # the address follows the question shown
    shot(page, "offline-waiting")
    assert len(answers_by_question(live_server, name)) == 1  # only question 1 reached the server

    assert outbox_size(page) == 3
    with pytest.raises(PlaywrightError):
        page.reload()  # plain HTTP, offline: the browser cannot show the page

    context.set_offline(False)
    page.reload()
    expect(page.locator(".question-card .hint")).to_contain_text("Soal 5 dari")
    page.wait_for_function(
        "JSON.parse(localStorage.getItem('sadar-outbox-v1') || '[]').length === 0"
    )
    shot(page, "back-online")
    counts = answers_by_question(live_server, name)
    # Online, each tap of an option is saved (the last one counts); offline, the outbox keeps
    # only the newest choice of a question: one row each, however often it was sent.
    assert len(counts) == 4, counts
    assert [counts[v] for v in offline_questions] == [1, 1, 1], counts


def test_the_result_screen_says_answers_will_be_sent_and_the_next_person_sends_them(
    live_server, lan_url, new_context, shot
):
    username, title = "offline.end", "Sosialisasi tanpa sinyal sampai akhir"
    make_officer(live_server, username, "Petugas Tanpa Sinyal")
    _event_id, code = make_event(live_server, username, title)
    context = new_context()
    page = context.new_page()
    join_on_phone(page, lan_url, code, "Rina Tanpa Sinyal")
    context.set_offline(True)
    for n in range(1, TEST_QUESTIONS + 1):
        expect(page.locator(".question-card .hint")).to_contain_text(f"Soal {n} dari")
        tap_answer(page, live_server, correct=True, autosave=False)
        save_and_continue(page)
    expect(page.get_by_text("Jawaban tersimpan di tablet ini", exact=True)).to_be_visible()
    page.get_by_role("button", name="Kumpulkan jawaban").click()
    expect(page.get_by_text("Jawaban akan dikumpulkan begitu koneksi kembali")).to_be_visible()
    shot(page, "result-offline")
    assert outbox_size(page) == TEST_QUESTIONS + 1  # the answers, then the submit
    assert answers_by_question(live_server, "Rina Tanpa Sinyal") == {}

    # The connection comes back while another page of the app is open on the tablet.
    context.set_offline(False)
    page.goto(f"{lan_url}/kiosk/")
    page.wait_for_function(
        "JSON.parse(localStorage.getItem('sadar-outbox-v1') || '[]').length === 0"
    )
    counts = answers_by_question(live_server, "Rina Tanpa Sinyal")
    assert len(counts) == TEST_QUESTIONS and set(counts.values()) == {1}, counts
    assert submitted_pretests(live_server, "Rina Tanpa Sinyal") == 1


def submitted_pretests(live_server: LiveServer, name: str) -> int:
    from sqlalchemy import func, select

    from learning.accounts.models import User
    from learning.extensions import db
    from quizzes.models import QuizAttempt

    with live_server.app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(QuizAttempt)
            .join(User, User.id == QuizAttempt.user_id)
            .where(User.display_name == name, QuizAttempt.status == "submitted")
        )


def test_a_flood_of_duplicate_sends_from_two_tabs_stores_each_answer_once(
    live_server, base_url, new_context
):
    username, title, name = "offline.flood", "Sosialisasi dua tab", "Dodi Dua Tab"
    make_officer(live_server, username, "Petugas Dua Tab")
    _event_id, code = make_event(live_server, username, title)
    context = new_context()
    first = context.new_page()
    join_on_phone(first, base_url, code, name)
    second = context.new_page()  # the same tablet's storage and session, in another tab
    second.goto(f"{base_url}/kiosk/")
    context.set_offline(True)
    for n in (1, 2, 3):
        expect(first.locator(".question-card .hint")).to_contain_text(f"Soal {n} dari")
        tap_answer(first, live_server, correct=True, autosave=False)
        save_and_continue(first)
    expect(first.locator(".question-card .hint")).to_contain_text("Soal 4 dari")
    entries = first.evaluate("JSON.parse(localStorage.getItem('sadar-outbox-v1'))")
    assert len(entries) == 3
    # Back online: both tabs flush the same outbox at once (each hears the `online` event),
    # and each tab sends every answer ten more times on top.
    flood = """(entries) => {
        const send = (e) => fetch(e.url, {method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', 'Accept': 'application/json',
                      'X-Attempt-Token': e.token}, body: JSON.stringify(e.body)});
        const sends = [];
        for (let i = 0; i < 10; i++) { entries.forEach((e) => sends.push(send(e))); }
        window.__flood = Promise.all(sends).then((rs) => rs.map((r) => r.status));
        return true;
    }"""
    context.set_offline(False)
    for page in (first, second):  # started in both tabs before either is awaited
        page.evaluate(flood, entries)
    statuses = first.evaluate("window.__flood") + second.evaluate("window.__flood")
    assert statuses == [200] * 60, statuses
    for page in (first, second):
        page.wait_for_function(
            "JSON.parse(localStorage.getItem('sadar-outbox-v1') || '[]').length === 0"
        )
    counts = answers_by_question(live_server, name)
    assert len(counts) == 3 and set(counts.values()) == {1}, counts


# ---- over HTTPS with the office's own authority (field mode) -----------------------------------


@pytest.fixture(scope="module")
def https_url(live_server: LiveServer, tmp_path_factory):
    """The live server's app over HTTPS, with a certificate from field mode's own authority.

    Returns the address and the base64 SHA-256 of the certificate's public key: Chromium is
    told to trust exactly that key, as a tablet that installed the authority trusts it.
    """
    import base64
    import hashlib
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from learning.field.tls import ensure_ca, ensure_server_cert

    instance = tmp_path_factory.mktemp("field-instance")
    ensure_ca(instance, label="test")
    cert = ensure_server_cert(instance, ["127.0.0.1"])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert.cert_path, cert.key_path)
    server = make_server("127.0.0.1", 0, live_server.app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, name="e2e-https-server", daemon=True)
    thread.start()
    leaf = x509.load_pem_x509_certificates(cert.cert_path.read_bytes())[0]
    spki = leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
    yield f"https://127.0.0.1:{server.server_port}", pin
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def trusting_browser(playwright, https_url, browser_type_launch_args):
    """Chromium that trusts the field certificate (and nothing else extra)."""
    _url, pin = https_url
    args = [
        *browser_type_launch_args.get("args", []),
        f"--ignore-certificate-errors-spki-list={pin}",
    ]
    browser = playwright.chromium.launch(**{**browser_type_launch_args, "args": args})
    yield browser
    browser.close()


def test_a_tablet_over_https_reloads_the_quiz_offline_and_sends_every_answer_once(
    live_server, https_url, trusting_browser, artifact_dir
):
    base, _pin = https_url
    username, title, name = "offline.https", "Sosialisasi tablet kantor", "Sari Tablet Kantor"
    make_officer(live_server, username, "Petugas Tablet Kantor")
    _event_id, code = make_event(live_server, username, title)
    context = trusting_browser.new_context(
        viewport={"width": 800, "height": 1280},
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        bypass_csp=True,
    )
    page = context.new_page()
    join_on_phone(page, base, code, name)
    assert page.evaluate("window.isSecureContext") is True
    # The service worker takes control; from then on it keeps the pages it serves.
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    expect(page.locator(".question-card .hint")).to_contain_text("Soal 1 dari")

    context.set_offline(True)
    offline_questions = []
    for n in (1, 2, 3):
        expect(page.locator(".question-card .hint")).to_contain_text(f"Soal {n} dari")
        offline_questions.append(page.locator('input[name="question"]').input_value())
        tap_answer(page, live_server, correct=True, autosave=False)
        save_and_continue(page)
    expect(page.locator(".question-card .hint")).to_contain_text("Soal 4 dari")
    status = page.locator(".save-status")
    expect(status).to_have_text(WAITING)
    expect(status).not_to_contain_text("Jangan muat ulang")  # the service worker can reload
    page.screenshot(path=str(artifact_dir / "01-https-offline.png"), full_page=True)

    page.reload()  # offline: the service worker answers with the attempt's kept page
    expect(page.locator(".question-card .hint")).to_contain_text("Soal 4 dari")
    assert question_number(page) == 4
    expect(page.locator(".quiz-progress .dot.is-answered")).to_have_count(3)
    page.screenshot(path=str(artifact_dir / "02-https-reloaded-offline.png"), full_page=True)
    assert answers_by_question(live_server, name) == {}

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function(
        "JSON.parse(localStorage.getItem('sadar-outbox-v1') || '[]').length === 0"
    )
    counts = answers_by_question(live_server, name)
    assert [counts.get(v) for v in offline_questions] == [1, 1, 1], counts
    context.close()
