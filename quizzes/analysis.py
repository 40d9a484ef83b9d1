"""Item analysis for the office: which questions people get wrong, and how well each separates."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from learning.extensions import db
from quizzes import scoring
from quizzes.models import Question, QuestionVersion, Quiz, QuizAnswer, QuizAttempt


@dataclass
class ItemStats:
    question: Question
    version: QuestionVersion
    answered: int = 0
    correct: int = 0
    discrimination: float | None = None
    wrong_choices: list[tuple[str, int]] = field(default_factory=list)

    @property
    def share_correct(self) -> float | None:
        return round(self.correct / self.answered, 2) if self.answered else None


def item_analysis(track: str | None = None, min_answers: int = 1) -> list[ItemStats]:
    """Per question, over submitted attempts: times answered, share correct, discrimination
    (upper against lower 27% of scorers), and the options most often chosen wrongly."""
    attempts = (
        select(QuizAttempt.id, QuizAttempt.score)
        .join(Quiz)
        .where(QuizAttempt.status == "submitted")
    )
    if track:
        attempts = attempts.where(Quiz.track == track)
    scores = dict(db.session.execute(attempts).all())
    if not scores:
        return []
    rows = db.session.execute(
        select(
            QuizAnswer.attempt_id,
            QuizAnswer.question_version_id,
            QuizAnswer.choice_ids,
            QuizAnswer.is_correct,
            QuestionVersion.question_id,
        )
        .join(QuestionVersion, QuestionVersion.id == QuizAnswer.question_version_id)
        .where(QuizAnswer.attempt_id.in_(list(scores)))
        .order_by(QuizAnswer.answered_at, QuizAnswer.created_at)
    ).all()
    latest = {}
    for row in rows:  # the last answer per attempt and question counts
        latest[(row.attempt_id, row.question_id)] = row
    per_question: dict[int, list] = defaultdict(list)
    for (attempt_id, question_id), row in latest.items():
        per_question[question_id].append((scores[attempt_id], row))
    questions = {
        q.id: q
        for q in db.session.scalars(select(Question).where(Question.id.in_(list(per_question))))
    }
    result = []
    for question_id, answers in per_question.items():
        question = questions[question_id]
        version = db.session.get(QuestionVersion, question.current_version_id)
        texts = {o["id"]: o["text"] for o in version.options}
        wrong = Counter(
            choice
            for _s, row in answers
            if not row.is_correct
            for choice in row.choice_ids
            if choice not in version.correct_ids
        )
        stats = ItemStats(
            question,
            version,
            answered=len(answers),
            correct=sum(1 for _s, row in answers if row.is_correct),
            discrimination=scoring.discrimination([(s, row.is_correct) for s, row in answers]),
            wrong_choices=[(texts.get(c, c), n) for c, n in wrong.most_common(2)],
        )
        if stats.answered >= min_answers:
            result.append(stats)
    result.sort(key=lambda s: (s.share_correct, -s.answered))
    return result
