"""Officer certification, its revocation, and the office's item analysis."""

from sqlalchemy import select

from learning.core.models import AuditEntry
from learning.extensions import db
from learning.lessons import services as lessons
from quizzes import analysis, certification, services
from quizzes.models import OfficerCertification
from tests.quizzes.conftest import answer_all


def complete_lessons(user, skip=()):
    for lesson in lessons.list_lessons("pimpasa"):
        if lesson.slug not in skip:
            lessons.record_completion(user, lesson)
    db.session.commit()


def take_exam(client, start, user, right=True):
    attempt, token = start(user, "ujian-akhir-pimpasa")
    answer_all(client, attempt, token, right=right)
    client.post(f"/quizzes/attempts/{attempt.id}/submit", headers={"X-Attempt-Token": token})
    return db.session.get(type(attempt), attempt.id)


def test_all_lessons_and_a_passed_exam_certify_the_officer(client, start, officer):
    complete_lessons(officer)
    attempt = take_exam(client, start, officer)
    record = certification.get_certification(officer)
    assert record.is_valid and record.exam_attempt_id == attempt.id and record.exam_score == 100.0
    assert certification.is_certified(officer)


def test_a_passed_exam_without_every_lesson_does_not_certify(client, start, officer):
    complete_lessons(officer, skip={"tppm"})
    take_exam(client, start, officer)
    assert not certification.is_certified(officer)


def test_the_last_lesson_read_after_the_exam_certifies(client, start, officer):
    complete_lessons(officer, skip={"tppm"})
    take_exam(client, start, officer)
    lessons.record_completion(officer, lessons.get_lesson("tppm"))
    db.session.commit()
    assert certification.is_certified(officer)


def test_a_failed_exam_does_not_certify(client, start, officer):
    complete_lessons(officer)
    take_exam(client, start, officer, right=False)
    assert certification.get_certification(officer) is None


def test_admin_revokes_with_a_reason_and_a_new_pass_certifies_again(
    client, start, officer, admin, login_as
):
    complete_lessons(officer)
    take_exam(client, start, officer)
    login_as(client, admin)
    page = client.get("/quizzes/manage/certifications").get_data(as_text=True)
    assert "Petugas Satu" in page and "Bersertifikat" in page
    refused = client.post(
        f"/quizzes/manage/certifications/{officer.id}/revoke", data={"reason": ""}
    )
    assert refused.status_code == 400 and certification.is_certified(officer)
    client.post(
        f"/quizzes/manage/certifications/{officer.id}/revoke",
        data={"reason": "Pindah tugas ke luar wilayah"},
    )
    record = certification.get_certification(officer)
    assert not record.is_valid and record.revoked_reason == "Pindah tugas ke luar wilayah"
    assert db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.actor_name == "Admin Kantor")
    ).all() == ["officer.certification_revoked"]
    # The old pass does not bring it back; a new pass does.
    certification.certify_if_eligible(officer)
    assert not certification.is_certified(officer)
    take_exam(client, start, officer)
    assert certification.is_certified(officer)
    assert db.session.scalar(select(db.func.count()).select_from(OfficerCertification)) == 1


def test_item_analysis_lists_the_questions_people_get_wrong_most(client, start, make_user):
    from learning.accounts.models import Role

    officers = [make_user(role=Role.OFFICER) for _ in range(4)]
    for index, officer in enumerate(officers):
        attempt, token = start(officer, "latihan-tppo")
        answer_all(client, attempt, token, right=index >= 2)  # two strong, two weak
        client.post(f"/quizzes/attempts/{attempt.id}/submit", headers={"X-Attempt-Token": token})
    stats = analysis.item_analysis("pimpasa")
    assert stats and all(s.answered >= 1 for s in stats)
    assert stats == sorted(stats, key=lambda s: (s.share_correct, -s.answered))
    shared = [s for s in stats if s.answered == 4]
    for s in shared:  # answered by all four: the strong got it, the weak did not
        assert s.share_correct == 0.5 and s.discrimination == 1.0
        assert s.wrong_choices and s.wrong_choices[0][1] >= 1


def test_item_analysis_page_for_admins(client, start, officer, admin, login_as):
    attempt, token = start(officer, "latihan-tppo")
    answer_all(client, attempt, token, right=False)
    client.post(f"/quizzes/attempts/{attempt.id}/submit", headers={"X-Attempt-Token": token})
    login_as(client, admin)
    page = client.get("/quizzes/manage/items").get_data(as_text=True)
    version = services.item_versions(attempt)[0]
    assert version.question.key in page and "0%" in page
    assert f"/quizzes/manage/questions/{version.question.key}" in page  # a link to edit it
