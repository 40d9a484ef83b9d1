"""The villager's way on a kiosk: consent, registration, pre-test, cards, post-test, reset."""

import re

from sqlalchemy import func, select

from learning.events.models import Consent, HelpCall, Participation, VillagerProfile
from learning.extensions import db
from quizzes import services as quizzes
from quizzes.models import QuizAnswer
from tests.events.conftest import PIN


def text(response):
    return response.get_data(as_text=True)


def register(client, name="Siti Aminah", age="26-35", consent="self", **extra):
    assert client.post("/kiosk/consent", data={"who": consent, "agree": "y"}).status_code == 302
    data = {
        "new-name": name,
        "new-village": "15.06.11.2004",
        "new-age_group": age,
        "new-gender": "perempuan",
        "new-phone": "",
        "new-submit": "1",
        **extra,
    }
    return client.post("/kiosk/register", data=data)


def take_test(client, which, right=True):
    """Start a test from the kiosk and answer every question through the form posts."""
    started = client.post(f"/kiosk/test/{which}")
    assert started.status_code == 302, text(started)
    location = started.headers["Location"]
    attempt_id = location.split("/")[3]
    attempt = quizzes.get_attempt(attempt_id)
    for n, (item, version) in enumerate(
        zip(attempt.items, quizzes.item_versions(attempt), strict=True), 1
    ):
        page = text(client.get(f"/quizzes/attempts/{attempt_id}/{n}"))
        token = re.search(r'name="token" value="([^"]+)"', page).group(1)
        client_id = re.search(r'name="client_answer_id" value="([^"]+)"', page).group(1)
        wrong = [o for o in item["o"] if o not in version.correct_ids][:1]
        client.post(
            f"/quizzes/attempts/{attempt_id}/answers",
            data={
                "token": token,
                "question": item["v"],
                "client_answer_id": client_id,
                "n": n,
                "choice": sorted(version.correct_ids) if right else wrong,
            },
        )
    submitted = client.post(f"/quizzes/attempts/{attempt_id}/submit", data={"token": token})
    return attempt_id, submitted


def test_a_villager_goes_the_whole_way_and_the_next_starts_clean(kiosk, event):
    welcome = kiosk.get("/kiosk/")
    assert welcome.status_code == 200 and "Mulai" in text(welcome)
    assert "NIK" in text(kiosk.get("/kiosk/consent"))  # the notice says none is asked
    registered = register(kiosk)
    assert registered.headers["Location"] == "/kiosk/card"
    card_page = text(kiosk.get("/kiosk/card"))
    profile = db.session.scalars(select(VillagerProfile)).one()
    assert profile.card_code in card_page and "<svg" in card_page

    _pre, submitted = take_test(kiosk, "pre", right=False)
    assert submitted.headers["Location"] == "/kiosk/after/pre"
    lesson = kiosk.get(kiosk.get("/kiosk/after/pre").headers["Location"])
    assert lesson.status_code == 200 and "Pelajaran 1 dari 2" in text(lesson)
    assert 'href="/kiosk/lesson/0/0"' in text(kiosk.get("/kiosk/lesson/0/1"))  # a way back
    # Walk through every card to the last one, which offers the post-test.
    url = "/kiosk/lesson/0/0"
    while True:
        page = text(kiosk.get(url))
        following = re.search(r'href="(/kiosk/lesson/\d+/\d+)"', page)
        if not following:
            assert "Mulai tes akhir" in page
            break
        url = following.group(1)
    _post, submitted = take_test(kiosk, "post", right=True)
    assert submitted.headers["Location"] == "/kiosk/after/post"
    assert kiosk.get("/kiosk/after/post").headers["Location"] == "/kiosk/result"
    result = text(kiosk.get("/kiosk/result"))
    assert "10 dari 10 jawaban benar" in result and "Tes awal: 0 dari 10 benar." in result

    participation = db.session.scalars(select(Participation)).one()
    assert participation.step == "done" and participation.is_counted
    consent = db.session.scalars(select(Consent)).one()
    assert consent.given_by == "self" and consent.text_version

    # The next person on the same tablet starts clean.
    assert kiosk.post("/kiosk/reset").headers["Location"] == "/kiosk/"
    fresh = text(kiosk.get("/kiosk/"))
    assert "Siti Aminah" not in fresh and "Lanjutkan" not in fresh
    assert kiosk.get("/kiosk/card").headers["Location"] == "/kiosk/"
    with kiosk.session_transaction() as sess:
        assert (
            "participation" not in sess and "attempt_tokens" not in sess and "kiosk_token" in sess
        )


def test_the_kiosk_cannot_reach_office_pages(kiosk):
    for url in ("/accounts/manage/", "/lessons/", "/events/", "/accounts/login", "/quizzes/"):
        assert kiosk.get(url).status_code == 403, url


def test_leaving_the_kiosk_takes_the_officers_pin(kiosk, event):
    wrong = kiosk.post("/kiosk/exit", data={"pin": "000000"})
    assert wrong.status_code == 401 and "PIN salah" in text(wrong)
    assert kiosk.get("/accounts/manage/").status_code == 403
    right = kiosk.post("/kiosk/exit", data={"pin": PIN})
    assert right.headers["Location"] == f"/events/{event.id}"
    assert kiosk.get(f"/events/{event.id}").status_code == 200  # the officer is back


def test_the_pin_is_throttled(app, kiosk):
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        kiosk.post("/kiosk/exit", data={"pin": "000000"})
    blocked = kiosk.post("/kiosk/exit", data={"pin": PIN})
    assert blocked.status_code == 429 and "Terlalu banyak PIN salah" in text(blocked)


def test_a_returning_villager_with_a_card_is_one_person(kiosk, event, app, login_as, pin_officer):
    register(kiosk)
    code = db.session.scalars(select(VillagerProfile.card_code)).one()
    kiosk.post("/kiosk/reset")
    assert kiosk.post("/kiosk/consent", data={"who": "self", "agree": "y"}).status_code == 302
    again = kiosk.post("/kiosk/register", data={"card-card_code": code.lower(), "card-submit": "1"})
    assert again.headers["Location"] == "/kiosk/next"
    assert "Halo, Siti Aminah." in text(kiosk.get("/kiosk/next"))  # a mistyped card shows at once
    assert db.session.scalar(select(func.count()).select_from(VillagerProfile)) == 1
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1


def test_an_unknown_card_is_refused_in_indonesian(kiosk):
    kiosk.post("/kiosk/consent", data={"who": "self", "agree": "y"})
    response = kiosk.post(
        "/kiosk/register", data={"card-card_code": "XXXXXXXX", "card-submit": "1"}
    )
    assert response.status_code == 400 and "Kode kartu tidak ditemukan" in text(response)


def test_registration_without_consent_is_not_possible(kiosk):
    assert kiosk.get("/kiosk/register").headers["Location"] == "/kiosk/consent"
    refused = kiosk.post("/kiosk/consent", data={"who": "self"})
    assert refused.status_code == 400 and "Centang tanda setuju" in text(refused)


def test_an_under_18_without_a_guardian_takes_part_but_is_not_counted(kiosk):
    register(kiosk, name="Budi Kecil", age="<18", consent="none")
    assert db.session.scalars(select(Participation)).one().is_counted is False
    kiosk.post("/kiosk/reset")
    register(kiosk, name="Rina Kecil", age="<18", consent="guardian")
    counted = db.session.scalars(select(Participation).where(Participation.number == 2)).one()
    assert (
        counted.is_counted
        and db.session.scalars(select(Consent).where(Consent.participation_id == counted.id))
        .one()
        .given_by
        == "guardian"
    )


def test_missing_registration_answers_are_refused_and_nothing_is_saved(kiosk):
    kiosk.post("/kiosk/consent", data={"who": "self", "agree": "y"})
    response = kiosk.post(
        "/kiosk/register", data={"new-name": "", "new-village": "15.06.11.2004", "new-submit": "1"}
    )
    assert response.status_code == 400
    assert "Tulis nama Anda." in text(response) and "Pilih kelompok umur." in text(response)
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0


def test_help_button_alerts_the_officers_event_page(kiosk, event, app, login_as, pin_officer):
    register(kiosk)
    kiosk.post("/kiosk/help", data={"back": "/kiosk/card"})
    call = db.session.scalars(select(HelpCall)).one()
    assert call.where == "Tablet 1 · peserta 1"
    officer_client = app.test_client()
    login_as(officer_client, pin_officer)
    assert "Tablet 1 · peserta 1" in text(officer_client.get(f"/events/{event.id}"))


def test_joining_by_code_works_on_a_phone_without_a_kiosk(app, event):
    phone = app.test_client()
    assert phone.get(f"/j/{event.join_code.lower()}").headers["Location"] == "/kiosk/"
    assert phone.get("/kiosk/").status_code == 200
    assert phone.get("/j/ZZZZZZ").status_code == 404
    assert app.test_client().get("/kiosk/").status_code == 403


def test_closing_the_event_closes_open_tests_and_kiosks(kiosk, event, app, login_as, pin_officer):
    register(kiosk)
    started = kiosk.post("/kiosk/test/pre")
    attempt_id = started.headers["Location"].split("/")[3]
    officer_client = app.test_client()
    login_as(officer_client, pin_officer)
    officer_client.post(f"/events/{event.id}/closed")
    assert quizzes.get_attempt(attempt_id).status == "closed"
    assert kiosk.get("/kiosk/").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(QuizAnswer)) == 0
