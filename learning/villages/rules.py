"""Pure rules of village certification: criteria, status, certificate numbers (no Flask)."""

import enum
import math
import re
import string
from dataclasses import dataclass, field
from datetime import date, timedelta

from learning.core.time import add_months


class Status(enum.StrEnum):
    BELUM_DIBINA = "belum_dibina"
    DESA_BINAAN = "desa_binaan"  # designated by decree, nothing held yet
    DALAM_PEMBINAAN = "dalam_pembinaan"
    MEMENUHI_SYARAT = "memenuhi_syarat"
    TERSERTIFIKASI = "tersertifikasi"
    KEDALUWARSA = "kedaluwarsa"
    DICABUT = "dicabut"


# The order of the programme, for sorting and for the chart.
STATUS_ORDER = list(Status)


@dataclass(frozen=True)
class Criteria:
    min_certified_officers: int = 1
    min_events: int = 2
    min_passed: int = 30
    passed_share_percent: float | None = None
    min_gain: float = 0.3
    required_topics: tuple[str, ...] = ("paspor", "kerja-luar-negeri", "tppo", "tppm", "pelaporan")
    window_months: int = 12
    validity_months: int = 24


@dataclass(frozen=True)
class Facts:
    """What the data says about a village (criteria 2 to 5 over the window)."""

    certified_officers: int = 0
    events_held: int = 0
    passed_villagers: int = 0
    mean_gain: float | None = None
    topics: frozenset[str] = field(default_factory=frozenset)
    adult_population: int | None = None


@dataclass(frozen=True)
class Result:
    key: str  # officers | events | passed | gain | topics
    value: float | int | None
    target: float | int
    met: bool
    missing: tuple[str, ...] = ()  # topics not yet covered

    @property
    def progress(self) -> float:
        """Share of the target reached, 0 to 1 (a gain below zero counts as none)."""
        if self.met:
            return 1.0
        if not self.value or not self.target:
            return 0.0
        return max(0.0, min(1.0, self.value / self.target))


CRITERIA_KEYS = ("officers", "events", "passed", "gain", "topics")


def window_start(today: date, criteria: Criteria) -> date:
    """First day counted by criteria 2 to 5: the same day `window_months` ago."""
    return add_months(today, -criteria.window_months)


def valid_until(issued_on: date, criteria: Criteria) -> date:
    """Last day a certificate issued on `issued_on` is valid (two years: the day before)."""
    return add_months(issued_on, criteria.validity_months) - timedelta(days=1)


def passed_target(criteria: Criteria, adult_population: int | None) -> int:
    """Villagers who must pass the post-test: a share of the adults where both are known."""
    if criteria.passed_share_percent and adult_population:
        return max(1, math.ceil(adult_population * criteria.passed_share_percent / 100))
    return criteria.min_passed


def evaluate(criteria: Criteria, facts: Facts) -> list[Result]:
    """Each criterion with its value, target and whether it is met."""
    required = tuple(criteria.required_topics)
    missing = tuple(t for t in required if t not in facts.topics)
    target = passed_target(criteria, facts.adult_population)
    return [
        Result(
            "officers",
            facts.certified_officers,
            criteria.min_certified_officers,
            facts.certified_officers >= criteria.min_certified_officers,
        ),
        Result(
            "events",
            facts.events_held,
            criteria.min_events,
            facts.events_held >= criteria.min_events,
        ),
        Result("passed", facts.passed_villagers, target, facts.passed_villagers >= target),
        Result(
            "gain",
            facts.mean_gain,
            criteria.min_gain,
            facts.mean_gain is not None and facts.mean_gain >= criteria.min_gain,
        ),
        Result("topics", len(required) - len(missing), len(required), not missing, missing),
    ]


@dataclass(frozen=True)
class CertificateState:
    issued_on: date
    valid_until: date
    revoked: bool


def village_status(
    designated: bool,
    results: list[Result],
    has_activity: bool,
    latest_certificate: CertificateState | None,
    today: date,
) -> tuple[Status, bool]:
    """The status and whether it needs attention (a certified village with a lapsed criterion).

    A certificate decides while it is valid; after it expires or is revoked the status says so
    until a new one is issued. Without a decree a village is not yet in the programme.
    """
    all_met = all(r.met for r in results)
    if latest_certificate is not None:
        if latest_certificate.revoked:
            return Status.DICABUT, False
        if latest_certificate.valid_until >= today:
            return Status.TERSERTIFIKASI, not all_met
        return Status.KEDALUWARSA, False
    if not designated:
        return Status.BELUM_DIBINA, False
    if all_met:
        return Status.MEMENUHI_SYARAT, False
    if has_activity:
        return Status.DALAM_PEMBINAAN, False
    return Status.DESA_BINAAN, False


def can_issue(designated: bool, results: list[Result], override_reason: str | None) -> str | None:
    """None when a certificate may be issued; else why not (the caller translates)."""
    if not designated:
        return "not_designated"
    if all(r.met for r in results):
        return None
    if override_reason and len(override_reason.strip()) >= 20:
        return None
    return "unmet" if not override_reason else "reason_too_short"


# ---- certificate numbers --------------------------------------------------------------------

NUMBER_MAX_LENGTH = 120  # the certificate number's column
NUMBER_FIELDS = {"nomor", "tahun", "bulan", "bulan_romawi", "kode_desa"}
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_SPEC = re.compile(r"^0?[1-9]?$")  # {nomor:03}: zero-padded, at most 9 wide


def check_number_format(template: str) -> str | None:
    """None when the format is usable; else the problem (unknown field, bad spec, no number)."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return "syntax"
    names = set()
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in NUMBER_FIELDS or conversion or not _SPEC.match(spec or ""):
            return "field"
        names.add(name)
    if "nomor" not in names or "tahun" not in names:
        return "missing"
    longest = template.format(
        nomor=99999, tahun=9999, bulan=12, bulan_romawi="VIII", kode_desa="99.99.99.9999"
    )
    if len(longest) > NUMBER_MAX_LENGTH:
        return "long"
    return None


def format_number(template: str, sequence: int, issued_on: date, village_code: str) -> str:
    """The certificate number: a checked template filled with the year's sequence number."""
    if check_number_format(template):
        raise ValueError(f"format nomor tidak sah: {template!r}")
    return template.format(
        nomor=sequence,
        tahun=issued_on.year,
        bulan=issued_on.month,
        bulan_romawi=ROMAN_MONTHS[issued_on.month - 1],
        kode_desa=village_code,
    )
