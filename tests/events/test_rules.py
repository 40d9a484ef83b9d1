"""Pure rules of events: learning gain, duplicates, codes."""

import pytest

from learning.events.rules import (
    CODE_ALPHABET,
    is_possible_duplicate,
    learning_gain,
    name_key,
    new_code,
    normalise_code,
)


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], (0, None, None, None, None)),
        ([(40.0, 70.0)], (1, 40.0, 70.0, 30.0, 0.5)),
        ([(40.0, 70.0), (60.0, 90.0)], (2, 50.0, 80.0, 30.0, 0.6)),  # g on the means
        ([(100.0, 100.0)], (1, 100.0, 100.0, 0.0, None)),  # nothing left to gain
        ([(50.0, 40.0)], (1, 50.0, 40.0, -10.0, -0.2)),
        ([(0.0, 100.0)], (1, 0.0, 100.0, 100.0, 1.0)),
    ],
)
def test_learning_gain_is_computed_on_the_means_of_those_who_did_both(pairs, expected):
    gain = learning_gain(pairs)
    assert (
        gain.participants,
        gain.pre_mean,
        gain.post_mean,
        gain.gain,
        gain.normalised,
    ) == expected


@pytest.mark.parametrize(
    ("a", "va", "b", "vb", "same"),
    [
        ("Siti Aminah", "v1", "siti  aminah", "v1", True),
        ("Ibu Siti Aminah", "v1", "Siti Aminah", "v1", True),  # titles ignored
        ("Siti Aminah", "v1", "Siti Aminah", "v2", False),  # another village
        ("Siti Aminah", "v1", "Siti Amina", "v1", False),
        ("Siti Aminah", None, "Siti Aminah", None, False),  # no village: no match
        ("", "v1", "", "v1", False),
    ],
)
def test_a_possible_duplicate_is_the_same_name_in_the_same_village(a, va, b, vb, same):
    assert is_possible_duplicate(a, va, b, vb) is same


def test_names_are_compared_without_accents_case_or_punctuation():
    assert name_key("  Bpk. Ahmad  Fauzi ") == name_key("ahmad fauzi") == "ahmad fauzi"


def test_codes_avoid_look_alike_characters():
    code = new_code(200)
    assert set(code) <= set(CODE_ALPHABET)
    assert not set("01258OILSZB") & set(CODE_ALPHABET)
    assert normalise_code(" ab-cd ef ") == "ABCDEF"
