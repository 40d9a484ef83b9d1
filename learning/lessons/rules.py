"""Pure rules of the lessons room: readability of villager text, and what counts as done."""

import re
from dataclasses import dataclass

MAX_AVERAGE_WORDS = 15
MAX_SENTENCE_WORDS = 30
EXPLAINED_BY = (" (", ":", " adalah", " artinya", " yaitu", " ialah")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_](?!\s)|`")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def sentences(markdown_text: str) -> list[str]:
    """Split Markdown into sentences: each heading and list item, then at . ! or ?."""
    found: list[str] = []
    paragraph: list[str] = []

    def flush():
        text = " ".join(paragraph).strip()
        paragraph.clear()
        found.extend(s.strip() for s in _SENTENCE_END.split(text) if s.strip())

    for raw in markdown_text.split("\n"):
        line = _MARKUP.sub("", _LINK.sub(r"\1", raw)).strip()
        if not line:
            flush()
        elif line.startswith("#") or re.match(r"^([-*+]|\d+[.)])\s", line):
            flush()
            paragraph.append(re.sub(r"^(#+|[-*+]|\d+[.)])\s*", "", line))
            flush()
        else:
            paragraph.append(line)
    flush()
    return found


def word_count(sentence: str) -> int:
    return len(sentence.split())


@dataclass(frozen=True)
class Readability:
    sentences: int
    average_words: float
    longest_words: int
    longest: str

    @property
    def ok(self) -> bool:
        return self.average_words <= MAX_AVERAGE_WORDS and self.longest_words <= MAX_SENTENCE_WORDS


def readability(markdown_text: str) -> Readability:
    """Measure sentence lengths of a text (in words)."""
    found = sentences(markdown_text)
    if not found:
        return Readability(0, 0.0, 0, "")
    counts = [word_count(s) for s in found]
    longest = max(range(len(found)), key=counts.__getitem__)
    return Readability(len(found), sum(counts) / len(counts), counts[longest], found[longest])


def unexplained_terms(markdown_text: str, terms: list[str]) -> list[tuple[str, int]]:
    """Return (term, offset) for each term whose first use outside headings is not explained."""
    text = "\n".join("" if line.startswith("#") else line for line in markdown_text.split("\n"))
    text = _MARKUP.sub("", text)
    missing = []
    for term in terms:
        match = re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text)
        if match and not text[match.end() :].startswith(EXPLAINED_BY):
            missing.append((term, match.start()))
    return missing


def is_lesson_done(
    completed_versions: set[int], version_numbers: list[int], reread_from: list[int]
) -> bool:
    """Decide if a learner has done a lesson.

    `completed_versions` are the version numbers the learner completed, `version_numbers`
    all versions up to the current one, `reread_from` the versions marked "must be read
    again". A completion counts unless a later version up to the current one demands a
    new reading.
    """
    if not completed_versions or not version_numbers:
        return False
    current = max(version_numbers)
    best = max(completed_versions)
    return not any(best < v <= current for v in reread_from)
