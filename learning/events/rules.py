"""Pure rules of events: join codes, participant cards, learning gain, duplicates (no Flask)."""

import re
import secrets
import unicodedata
from dataclasses import dataclass
from statistics import fmean

# No look-alikes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 6
CARD_CODE_LENGTH = 8


def new_code(length: int, choice=secrets.choice) -> str:
    """Return a random code from the alphabet without look-alikes."""
    return "".join(choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(text: str) -> str:
    """Read a typed code forgivingly: case, spaces and dashes ignored."""
    return re.sub(r"[\s\-]", "", (text or "").upper())


def is_card_code(code: str) -> bool:
    """A participant-card code as the app makes them (checked before trusting an unknown one)."""
    return len(code) == CARD_CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


def name_key(name: str) -> str:
    """Normalise a name to compare people: case, accents, spacing and titles ignored."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\b(bapak|bpk|pak|ibu|bu|sdr|sdri|saudara|saudari)\b\.?", " ", text)
    # Digits stay: "Warga 1" and "Warga 2" (numbered paper entries) are different people.
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def is_possible_duplicate(
    name_a: str, village_a: str | None, name_b: str, village_b: str | None
) -> bool:
    """Same normalised name in the same village: maybe the same person (an officer decides)."""
    return bool(village_a) and village_a == village_b and name_key(name_a) == name_key(name_b) != ""


@dataclass(frozen=True)
class Gain:
    participants: int  # with both a pre-test and a post-test
    pre_mean: float | None
    post_mean: float | None
    gain: float | None  # post mean minus pre mean, in points
    normalised: float | None  # (post - pre) / (100 - pre), on the means


def learning_gain(pairs: list[tuple[float, float]]) -> Gain:
    """Compute the learning gain over participants who did both tests: (pre, post) percents."""
    if not pairs:
        return Gain(0, None, None, None, None)
    pre = fmean(p for p, _q in pairs)
    post = fmean(q for _p, q in pairs)
    normalised = normalised_gain(pre, post)
    return Gain(
        len(pairs),
        round(pre, 1),
        round(post, 1),
        round(post - pre, 1),
        None if normalised is None else round(normalised, 2),
    )


def normalised_gain(pre_mean, post_mean) -> float | None:
    """(post − pre) / (100 − pre) on the means; None without both, or when pre is already 100."""
    if pre_mean is None or post_mean is None or float(pre_mean) >= 100:
        return None
    return round((float(post_mean) - float(pre_mean)) / (100 - float(pre_mean)), 3)
