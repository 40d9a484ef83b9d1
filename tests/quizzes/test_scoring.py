"""Scoring rules as tables."""

import pytest

from quizzes.scoring import discrimination, is_answer_correct, score, valid_choice


@pytest.mark.parametrize(
    ("correct", "chosen", "right"),
    [
        ({"a"}, {"a"}, True),
        ({"a"}, {"b"}, False),
        ({"a"}, set(), False),
        ({"a", "c"}, {"a", "c"}, True),  # multiple: every correct option...
        ({"a", "c"}, {"a"}, False),  # ...not only some of them
        ({"a", "c"}, {"a", "b", "c"}, False),  # ...and no wrong one: all-or-nothing
        ({"benar"}, {"benar"}, True),
    ],
)
def test_answer_is_right_only_when_exactly_the_correct_options_are_chosen(correct, chosen, right):
    assert is_answer_correct(correct, chosen) is right


@pytest.mark.parametrize(
    ("kind", "chosen", "valid"),
    [
        ("single", {"a"}, True),
        ("single", {"a", "b"}, False),
        ("single", set(), False),
        ("single", {"zzz"}, False),
        ("multiple", {"a", "b"}, True),
        ("truefalse", {"a"}, True),
    ],
)
def test_choice_must_name_known_options_and_one_for_single_choice(kind, chosen, valid):
    assert valid_choice(kind, {"a", "b", "c"}, chosen) is valid


@pytest.mark.parametrize(
    ("answers", "total", "mark", "expected"),
    [
        ([True] * 7 + [False] * 3, 10, 70, (7, 70.0, True)),  # the pass mark itself passes
        ([True] * 6 + [False] * 4, 10, 70, (6, 60.0, False)),
        ([True] * 5, 10, 50, (5, 50.0, True)),  # unanswered questions count as wrong
        ([], 10, 70, (0, 0.0, False)),
        ([True, True], 3, 70, (2, 66.7, False)),
        ([], 0, 70, (0, 0.0, False)),
    ],
)
def test_score_counts_unanswered_as_wrong(answers, total, mark, expected):
    result = score(answers, total, mark)
    assert (result.correct, result.percent, result.passed) == expected


@pytest.mark.parametrize(
    ("scored", "expected"),
    [
        ([(10, False), (20, False), (30, True)], None),  # too few to split
        ([(10, False), (20, False), (80, True), (90, True)], 1.0),  # good question
        ([(10, True), (20, True), (80, False), (90, False)], -1.0),  # strong scorers miss it
        ([(s, True) for s in range(0, 100, 10)], 0.0),  # everyone right: no separation
    ],
)
def test_discrimination_compares_upper_and_lower_27_percent(scored, expected):
    assert discrimination(scored) == expected
