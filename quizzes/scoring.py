"""Scoring as pure functions: no Flask, no database.

Multiple-choice questions ("pilih semua yang benar") are scored all-or-nothing: the answer
is right only when it names every correct option and no other.
"""

from dataclasses import dataclass


def is_answer_correct(correct_ids: set[str], chosen_ids: set[str]) -> bool:
    """Return True if the chosen options are exactly the correct ones."""
    return bool(chosen_ids) and set(chosen_ids) == set(correct_ids)


def valid_choice(kind: str, option_ids: set[str], chosen_ids: set[str]) -> bool:
    """Single choice and true/false take one known option; multiple takes one or more."""
    if not chosen_ids or not chosen_ids <= option_ids:
        return False
    return kind == "multiple" or len(chosen_ids) == 1


@dataclass(frozen=True)
class Result:
    correct: int
    total: int
    percent: float
    passed: bool


def score(correctness: list[bool], total: int, pass_mark: int) -> Result:
    """Score an attempt: unanswered questions count as wrong; pass at `pass_mark` percent."""
    correct = sum(1 for right in correctness if right)
    percent = round(100.0 * correct / total, 1) if total else 0.0
    return Result(correct, total, percent, percent >= pass_mark)


def discrimination(scored: list[tuple[float, bool]]) -> float | None:
    """Return p(upper 27%) - p(lower 27%) for one question.

    `scored` holds (attempt score, answered this question right) for each attempt that
    saw the question. None when too few attempts (under 4) to split.
    """
    if len(scored) < 4:
        return None
    ranked = sorted(scored, key=lambda item: item[0])
    size = max(1, round(len(ranked) * 0.27))
    lower, upper = ranked[:size], ranked[-size:]
    p = lambda group: sum(1 for _s, right in group if right) / len(group)  # noqa: E731
    return round(p(upper) - p(lower), 2)
