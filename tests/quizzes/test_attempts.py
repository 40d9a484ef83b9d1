"""Attempts: drawing, autosave by client id, tokens, idempotent submit, review, resume."""

import re
import threading
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from learning.core.signals import attempt_finalized
from learning.extensions import db
from learning.lessons.models import Completion
from quizzes import services
from quizzes.models import Question, QuestionVersion, Quiz, QuizAnswer, QuizAttempt
from tests.quizzes.conftest import answer_all


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def post_answer(client, attempt, token, item=0, choices=None, client_id=None):
    item = attempt.items[item]
    return client.post(
        f"/quizzes/attempts/{attempt.id}/answers",
        json={
            "question": item["v"],
            "choices": choices if choices is not None else item["o"][:1],
            "client_answer_id": client_id or str(uuid.uuid4()),
        },
        headers={"X-Attempt-Token": token},
    )


def test_bank_and_quizzes_are_loaded_once(bank):
    assert count(Question) == 138 and count(QuestionVersion) == 138
    kinds = dict(db.session.execute(select(Quiz.kind, func.count()).group_by(Quiz.kind)).all())
    assert kinds == {"practice": 11, "exam": 1, "pretest": 1, "posttest": 1}
    from learning.cli import load_content

    load_content(echo=lambda *_: None)
    assert count(QuestionVersion) == 138


def test_pre_and_post_tests_draw_the_same_topics_and_never_share_a_question(start, make_user):
    from learning.accounts.models import Role

    villager = make_user(role=Role.VILLAGER)
    pre, _ = start(villager, "pre-test-warga")
    post, _ = start(villager, "post-test-warga")
    topics = lambda a: sorted(v.question.topic for v in services.item_versions(a))  # noqa: E731
    assert topics(pre) == topics(post) and len(pre.items) == 10
    assert not {i["v"] for i in pre.items} & {i["v"] for i in post.items}
    assert {v.question.pool for v in services.item_versions(pre)} == {"pre"}


def test_exam_draws_two_questions_from_every_officer_lesson(start, officer):
    attempt, _ = start(officer, "ujian-akhir-pimpasa")
    topics = [v.question.topic for v in services.item_versions(attempt)]
    assert (
        len(topics) == 22
        and all(topics.count(t) == 2 for t in set(topics))
        and len(set(topics)) == 11
    )


def test_the_same_answer_sent_twice_is_saved_once(client, start, officer):
    attempt, token = start(officer, "latihan-tppo")
    client_id = str(uuid.uuid4())
    first = post_answer(client, attempt, token, client_id=client_id)
    again = post_answer(client, attempt, token, client_id=client_id)
    assert first.get_json()["created"] is True and again.get_json() == {
        **first.get_json(),
        "created": False,
    }
    assert count(QuizAnswer) == 1


def test_a_changed_answer_replaces_the_earlier_one(client, start, officer):
    attempt, token = start(officer, "ujian-akhir-pimpasa")  # explanations only at the end
    item = attempt.items[0]
    version = services.item_versions(attempt)[0]
    wrong = [o for o in item["o"] if o not in version.correct_ids][:1]
    post_answer(client, attempt, token, choices=wrong)
    post_answer(client, attempt, token, choices=sorted(version.correct_ids))
    assert services.effective_answers(attempt)[item["v"]].is_correct is True
    assert count(QuizAnswer) == 2


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"token": "salah"}, 403, "Token percobaan tidak sah"),
        ({"question": str(uuid.uuid4())}, 400, "Soal ini tidak ada dalam percobaan Anda"),
        ({"choices": ["bukan-pilihan"]}, 400, "Pilihan jawaban tidak dikenal"),
        ({"choices": []}, 400, "Pilihan jawaban tidak dikenal"),
        ({"client_answer_id": "bukan-uuid"}, 400, "kode jawaban atau soal tidak sah"),
    ],
)
def test_bad_answers_are_refused_in_indonesian_and_change_nothing(
    client, start, officer, change, status, message
):
    attempt, token = start(officer, "latihan-tppo")
    item = attempt.items[0]
    body = {"question": item["v"], "choices": item["o"][:1], "client_answer_id": str(uuid.uuid4())}
    body.update({k: v for k, v in change.items() if k != "token"})
    response = client.post(
        f"/quizzes/attempts/{attempt.id}/answers",
        json=body,
        headers={"X-Attempt-Token": change.get("token", token)},
    )
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert count(QuizAnswer) == 0


def test_single_choice_with_two_options_is_refused(client, start, officer):
    attempt, token = start(officer, "latihan-tppo")
    index = next(
        i for i, v in enumerate(services.item_versions(attempt)) if v.question.kind == "single"
    )
    response = post_answer(
        client, attempt, token, item=index, choices=attempt.items[index]["o"][:2]
    )
    assert response.status_code == 400 and count(QuizAnswer) == 0


def test_an_answer_lands_whatever_browser_session_sends_it(app, start, officer):
    """A queued answer on a shared tablet still lands after the tablet moved on."""
    attempt, token = start(officer, "latihan-tppo")
    stranger = app.test_client()  # no login, another session: only the token matters
    assert post_answer(stranger, attempt, token).status_code == 200


def test_after_submit_a_new_answer_is_refused_but_a_late_copy_succeeds(client, start, officer):
    attempt, token = start(officer, "latihan-tppo")
    client_id = str(uuid.uuid4())
    post_answer(client, attempt, token, client_id=client_id)
    client.post(f"/quizzes/attempts/{attempt.id}/submit", headers={"X-Attempt-Token": token})
    late_copy = post_answer(client, attempt, token, client_id=client_id)
    new = post_answer(client, attempt, token, item=1)
    assert late_copy.status_code == 200 and late_copy.get_json()["saved"] is True
    assert new.status_code == 409 and "sudah dikumpulkan" in new.get_json()["error"]
    assert count(QuizAnswer) == 1


def test_submit_twice_gives_one_result(client, start, officer):
    attempt, token = start(officer, "latihan-tppo")
    answer_all(client, attempt, token, right=True)
    sent = []
    receiver = lambda sender, **kw: sent.append(kw["attempt_id"])  # noqa: E731
    attempt_finalized.connect(receiver)
    try:
        for _ in range(2):
            response = client.post(
                f"/quizzes/attempts/{attempt.id}/submit",
                headers={"X-Attempt-Token": token},
                json={},
            )
            assert response.get_json() == {"status": "submitted", "score": 100.0, "passed": True}
    finally:
        attempt_finalized.disconnect(receiver)
    assert sent == [attempt.id]


def test_two_concurrent_submits_give_one_result(app, start, officer, session_tmp):
    """Two workers submit the same attempt at the same moment: one scoring, one result."""
    from tests.conftest import make_test_app

    attempt, token = start(officer, "latihan-tppo")
    answer_all(app.test_client(), attempt, token, right=True)
    url = f"/quizzes/attempts/{attempt.id}/submit"
    attempt_id = attempt.id
    db.session.commit()  # the test's own session holds no transaction while the workers run
    sent, results, barrier = [], [], threading.Barrier(2)
    receiver = lambda sender, **kw: sent.append(kw["attempt_id"])  # noqa: E731
    attempt_finalized.connect(receiver)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    workers = [make_test_app(uri, session_tmp / "instance") for _ in range(2)]

    def submit(worker):
        client = FlaskClient(worker)  # each request in an app context of its own, as in a worker
        barrier.wait()
        response = client.post(url, headers={"X-Attempt-Token": token}, json={})
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=submit, args=(w,)) for w in workers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        attempt_finalized.disconnect(receiver)
        for worker in workers:
            with worker.app_context():
                db.engine.dispose()
    assert [r[0] for r in results] == [200, 200]
    assert results[0][1] == results[1][1] == {"status": "submitted", "score": 100.0, "passed": True}
    assert sent == [attempt_id]
    assert count(Completion) == 1  # the practice pass completed its lesson once


def test_passing_a_practice_quiz_completes_its_lesson(client, start, officer):
    attempt, token = start(officer, "latihan-tppo")
    answer_all(client, attempt, token, right=True)
    client.post(f"/quizzes/attempts/{attempt.id}/submit", headers={"X-Attempt-Token": token})
    completion = db.session.scalars(select(Completion)).one()
    assert completion.via == "quiz" and completion.user_id == officer.id


def test_failing_a_practice_quiz_completes_nothing(client, start, officer):
    attempt, token = start(officer, "latihan-tppo")
    answer_all(client, attempt, token, right=False)
    client.post(f"/quizzes/attempts/{attempt.id}/submit", headers={"X-Attempt-Token": token})
    assert db.session.get(QuizAttempt, attempt.id).passed is False
    assert count(Completion) == 0


def test_officer_takes_a_practice_quiz_through_the_pages_and_resumes_after_reload(
    client, bank, officer, login_as
):
    login_as(client, officer)
    started = client.post("/quizzes/latihan-tppo/start")
    assert started.status_code == 302 and started.headers["Location"].endswith("/1")
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    attempt = db.session.scalars(select(QuizAttempt)).one()
    version = services.item_versions(attempt)[0]
    token = page.split('name="token" value="')[1].split('"')[0]
    form = {
        "token": token,
        "question": str(version.id),
        "n": "1",
        "client_answer_id": page.split('name="client_answer_id" value="')[1].split('"')[0],
        "choice": sorted(version.correct_ids),
    }
    saved = client.post(f"/quizzes/attempts/{attempt.id}/answers", data=form)
    assert saved.headers["Location"].endswith(f"/quizzes/attempts/{attempt.id}/1/feedback")
    feedback = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Benar!" in feedback and version.explanation[:40] in feedback
    assert (
        client.post(f"/quizzes/attempts/{attempt.id}/answers", data=form).status_code == 302
    )  # double tap
    assert count(QuizAnswer) == 1
    # A reload, or coming back later, resumes where it stopped; the explained answer is final.
    again = client.post("/quizzes/latihan-tppo/start")
    assert again.headers["Location"].endswith("/2")
    reloaded = client.get(f"/quizzes/attempts/{attempt.id}/1")
    assert reloaded.headers["Location"].endswith(f"/quizzes/attempts/{attempt.id}/1/feedback")
    assert count(QuizAttempt) == 1


def test_an_explained_answer_cannot_be_changed(client, start, officer):
    """Per-question feedback shows the right answer: changing it afterwards would game the score."""
    attempt, token = start(officer, "latihan-tppo")
    item, version = attempt.items[0], services.item_versions(attempt)[0]
    wrong = [o for o in item["o"] if o not in version.correct_ids][:1]
    assert post_answer(client, attempt, token, choices=wrong).status_code == 200
    second = post_answer(client, attempt, token, choices=sorted(version.correct_ids))
    assert second.status_code == 409 and "sudah dijawab" in second.get_json()["error"]
    assert services.effective_answers(attempt)[item["v"]].is_correct is False


def test_feedback_is_never_shown_before_an_answer(client, start, officer, login_as):
    from quizzes.views import SESSION_TOKENS

    attempt, token = start(officer, "latihan-tppo")
    with client.session_transaction() as sess:
        sess[SESSION_TOKENS] = {str(attempt.id): token}
    response = client.get(f"/quizzes/attempts/{attempt.id}/2/feedback")
    assert response.status_code == 302 and response.headers["Location"].endswith("/2")


def test_the_exam_page_shows_a_saved_answer_again_after_a_reload(client, start, officer):
    from quizzes.views import SESSION_TOKENS

    attempt, token = start(officer, "ujian-akhir-pimpasa")
    chosen = attempt.items[0]["o"][0]
    post_answer(client, attempt, token, choices=[chosen])
    with client.session_transaction() as sess:
        sess[SESSION_TOKENS] = {str(attempt.id): token}
    page = client.get(f"/quizzes/attempts/{attempt.id}/1").get_data(as_text=True)
    assert re.search(rf'value="{chosen}"\s+checked', page)


def test_attempt_pages_need_the_token_in_this_browser(app, start, officer, admin, login_as):
    attempt, _token = start(officer, "latihan-tppo")
    other = app.test_client()
    login_as(other, admin)
    assert other.get(f"/quizzes/attempts/{attempt.id}/1").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(f"/quizzes/attempts/{attempt.id}/1").status_code == 403
    assert anonymous.post(f"/quizzes/attempts/{attempt.id}/submit").status_code == 403
    assert anonymous.get(f"/quizzes/attempts/{uuid.uuid4()}/1").status_code == 404


def test_result_shows_answers_explanations_and_citations(client, start, officer, login_as):
    attempt, token = start(officer, "ujian-akhir-pimpasa")
    answer_all(client, attempt, token, right=True, only=15)
    client.post(f"/quizzes/attempts/{attempt.id}/submit", headers={"X-Attempt-Token": token})
    login_as(client, officer)
    page = client.get(f"/quizzes/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Nilai 68,2" in page and "Belum lulus" in page and "15 dari 22 soal benar" in page
    version = services.item_versions(attempt)[0]
    assert version.explanation[:40] in page and version.citations[0] in page
    assert page.count("Tidak dijawab.") == 7


def test_a_pre_test_never_shows_the_answers(client, start, make_user):
    from learning.accounts.models import Role
    from quizzes.views import remember_token

    villager = make_user(role=Role.VILLAGER)
    attempt, token = start(villager, "pre-test-warga")
    answer_all(client, attempt, token, right=False, only=3)
    feedback = client.post(
        f"/quizzes/attempts/{attempt.id}/answers",
        json={
            "question": attempt.items[3]["v"],
            "choices": attempt.items[3]["o"][:1],
            "client_answer_id": str(uuid.uuid4()),
        },
        headers={"X-Attempt-Token": token},
    ).get_json()
    assert "correct" not in feedback
    client.post(f"/quizzes/attempts/{attempt.id}/submit", headers={"X-Attempt-Token": token})
    with client.application.test_request_context():
        pass
    with client.session_transaction() as sess:
        sess["attempt_tokens"] = {str(attempt.id): token}
    page = client.get(f"/quizzes/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Pembahasan jawaban tidak ditampilkan" in page
    for version in services.item_versions(attempt):
        assert version.explanation[:40] not in page
    assert client.get(f"/quizzes/attempts/{attempt.id}/1/feedback").status_code == 404
    assert remember_token  # the kiosk keeps tokens the same way


def test_max_attempts_are_enforced(client, start, officer):
    quiz = services.get_quiz("ujian-akhir-pimpasa")
    for _ in range(quiz.max_attempts):
        attempt, token = start(officer, "ujian-akhir-pimpasa")
        client.post(f"/quizzes/attempts/{attempt.id}/submit", headers={"X-Attempt-Token": token})
    with pytest.raises(services.AttemptError) as info:
        start(officer, "ujian-akhir-pimpasa")
    assert info.value.status == 409 and "Kesempatan untuk kuis ini sudah habis" in str(info.value)


def test_closed_attempts_accept_no_answers(client, start, officer):
    attempt, token = start(officer, "latihan-tppo", context="event:abc")
    assert services.close_attempts("event:abc") == 1
    db.session.commit()
    response = post_answer(client, attempt, token)
    assert response.status_code == 409 and "ditutup" in response.get_json()["error"]


def test_an_attempt_keeps_the_question_version_it_showed(client, start, officer):
    attempt, token = start(officer, "latihan-tppo")
    shown = attempt.items[0]["v"]
    question = db.session.get(QuestionVersion, uuid.UUID(shown)).question
    question.current_version_id = None  # a newer version would replace it for new attempts
    db.session.commit()
    assert post_answer(client, attempt, token).status_code == 200
    assert str(services.item_versions(attempt)[0].id) == shown
