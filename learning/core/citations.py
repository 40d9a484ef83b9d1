"""Legal citations: one grammar for lessons, questions and the registry (pure, no database).

    <instrument> [Pasal <n>[<A-Z>]] [ayat (<n>)] [huruf <x>] [angka <n>]
    <instrument> Lampiran <roman>[.<A-Z>]

`<instrument>` is a key of content/instruments.yml, such as `UU 6/2011`.
"""

import re
from dataclasses import dataclass

INSTRUMENT_KINDS = ("UU", "PP", "Perpres", "Permenkumham", "Permenaker")
_INSTRUMENT = rf"(?:{'|'.join(INSTRUMENT_KINDS)}) \d+/\d{{4}}"
_PROVISION = (
    r"(?: Pasal (?P<pasal>\d+[A-Z]?)"
    r"(?: ayat \((?P<ayat>\d+)\))?"
    r"(?: huruf (?P<huruf>[a-z]))?"
    r"(?: angka (?P<angka>\d+))?"
    r"| Lampiran (?P<lampiran>[IVXLC]+(?:\.[A-Z])?))?"
)
CITATION_RE = re.compile(rf"(?P<instrument>{_INSTRUMENT}){_PROVISION}")
_FULL = re.compile(rf"{CITATION_RE.pattern}$")
# "Pasal 5(1)" or "Pasal 5 (1)" written after an instrument: ayat must be spelled out.
LOOSE_AYAT_RE = re.compile(rf"{_INSTRUMENT} Pasal \d+[A-Z]? ?\(\d+\)")


@dataclass(frozen=True)
class Citation:
    instrument: str
    pasal: str | None = None
    ayat: str | None = None
    huruf: str | None = None
    angka: str | None = None
    lampiran: str | None = None

    @property
    def text(self) -> str:
        parts = [self.instrument]
        if self.pasal:
            parts.append(f"Pasal {self.pasal}")
        if self.ayat:
            parts.append(f"ayat ({self.ayat})")
        if self.huruf:
            parts.append(f"huruf {self.huruf}")
        if self.angka:
            parts.append(f"angka {self.angka}")
        if self.lampiran:
            parts.append(f"Lampiran {self.lampiran}")
        return " ".join(parts)

    def _parts(self) -> tuple:
        return (self.instrument, self.pasal, self.ayat, self.huruf, self.angka, self.lampiran)

    def falls_under(self, other: "Citation") -> bool:
        """True if this is `other` or a part of it (Pasal 2 ayat (1) falls under Pasal 2)."""
        return all(
            theirs is None or mine == theirs
            for mine, theirs in zip(self._parts(), other._parts(), strict=True)
        )


def parse_citation(text: str) -> Citation | None:
    """Parse one whole citation; None if it does not follow the grammar."""
    match = _FULL.match(text.strip())
    if not match:
        return None
    return Citation(**match.groupdict())


def find_citations(text: str) -> list[tuple[int, Citation]]:
    """Return (offset, citation) for every citation written in running text."""
    return [(m.start(), Citation(**m.groupdict())) for m in CITATION_RE.finditer(text)]
