"""Officer certification: every onboarding lesson done and the final exam passed."""

from sqlalchemy import select

from learning.accounts.models import Role, User
from learning.core.audit import record_audit
from learning.core.signals import lesson_completed
from learning.core.time import utcnow
from learning.extensions import db
from learning.lessons.services import has_completed_track
from quizzes.models import OfficerCertification, Quiz, QuizAttempt

OFFICER_TRACK = "pimpasa"


def get_certification(user: User) -> OfficerCertification | None:
    return db.session.scalars(
        select(OfficerCertification).where(OfficerCertification.user_id == user.id)
    ).first()


def is_certified(user: User) -> bool:
    """True if the officer holds a valid PIMPASA certification (read by other rooms)."""
    certification = get_certification(user)
    return certification is not None and certification.is_valid


def _best_passed_exam(user: User, after=None) -> QuizAttempt | None:
    query = (
        select(QuizAttempt)
        .join(Quiz)
        .where(
            QuizAttempt.user_id == user.id,
            Quiz.kind == "exam",
            Quiz.track == OFFICER_TRACK,
            QuizAttempt.status == "submitted",
            QuizAttempt.passed.is_(True),
        )
        .order_by(QuizAttempt.score.desc(), QuizAttempt.submitted_at)
    )
    if after is not None:
        query = query.where(QuizAttempt.submitted_at > after)
    return db.session.scalars(query).first()


def certify_if_eligible(user: User) -> OfficerCertification | None:
    """Certify an officer who has done every lesson and passed the exam (after any revocation)."""
    if (
        user.role != Role.OFFICER
        or is_certified(user)
        or not has_completed_track(user, OFFICER_TRACK)
    ):
        return None
    certification = get_certification(user)
    exam = _best_passed_exam(user, after=certification.revoked_at if certification else None)
    if exam is None:
        return None
    if certification is None:
        certification = OfficerCertification(user_id=user.id)
        db.session.add(certification)
    certification.certified_at = utcnow()
    certification.exam_attempt_id, certification.exam_score = exam.id, exam.score
    certification.revoked_at = certification.revoked_reason = certification.revoked_by_name = None
    record_audit(None, "officer.certified", "user", user.id, score=exam.score)
    db.session.flush()
    return certification


def revoke_certification(certification: OfficerCertification, reason: str, actor) -> None:
    """Revoke a certification with a written reason, audited."""
    if not reason.strip():
        raise ValueError("reason")
    certification.revoked_at = utcnow()
    certification.revoked_reason = reason.strip()
    certification.revoked_by_name = actor.display_name
    record_audit(
        actor, "officer.certification_revoked", "user", certification.user_id, reason=reason.strip()
    )
    db.session.flush()


def list_officers_with_status() -> list[tuple[User, OfficerCertification | None]]:
    officers = db.session.scalars(
        select(User)
        .where(User.role == Role.OFFICER)
        .order_by(User.is_active_account.desc(), User.display_name)
    ).all()
    certifications = {c.user_id: c for c in db.session.scalars(select(OfficerCertification))}
    return [(officer, certifications.get(officer.id)) for officer in officers]


@lesson_completed.connect
def _on_lesson_completed(sender, user_id, **_extra):
    """The last lesson read after the exam was passed also certifies."""
    user = db.session.get(User, user_id)
    if user is not None:
        certify_if_eligible(user)
