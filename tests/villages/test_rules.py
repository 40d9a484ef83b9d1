"""The pure rules of village certification, as tables: criteria, status, dates, numbers."""

from datetime import date

import pytest

from learning.villages import rules
from learning.villages.rules import CertificateState, Criteria, Facts, Status
from tests.villages.conftest import REASON

TOPICS = frozenset(Criteria().required_topics)
MET = Facts(certified_officers=1, events_held=2, passed_villagers=30, mean_gain=0.3, topics=TOPICS)


def facts(**changes) -> Facts:
    return Facts(**{**MET.__dict__, **changes})


def unmet_keys(results) -> list[str]:
    return [r.key for r in results if not r.met]


# ---- criteria -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "unmet"),
    [
        ({}, []),  # every default exactly at its target is met
        ({"certified_officers": 0}, ["officers"]),
        ({"events_held": 1}, ["events"]),
        ({"passed_villagers": 29}, ["passed"]),
        ({"mean_gain": 0.29}, ["gain"]),
        ({"mean_gain": None}, ["gain"]),  # no event with both tests: not met
        ({"mean_gain": -0.2}, ["gain"]),
        ({"topics": TOPICS - {"tppm"}}, ["topics"]),
        ({"topics": TOPICS | {"topik-lain"}}, []),  # an extra topic changes nothing
        (
            {"certified_officers": 3, "events_held": 9, "passed_villagers": 400, "mean_gain": 0.9},
            [],
        ),
        (
            {
                "certified_officers": 0,
                "events_held": 0,
                "passed_villagers": 0,
                "mean_gain": None,
                "topics": frozenset(),
            },
            ["officers", "events", "passed", "gain", "topics"],
        ),
    ],
)
def test_each_default_criterion_is_met_at_its_target_and_not_below(changes, unmet):
    results = rules.evaluate(Criteria(), facts(**changes))
    assert [r.key for r in results] == list(rules.CRITERIA_KEYS)
    assert unmet_keys(results) == unmet


def test_results_carry_values_targets_and_the_missing_topics():
    results = rules.evaluate(
        Criteria(),
        facts(passed_villagers=12, topics=frozenset({"paspor", "tppo"}), mean_gain=0.35),
    )
    by_key = {r.key: r for r in results}
    assert (by_key["passed"].value, by_key["passed"].target) == (12, 30)
    assert by_key["passed"].progress == pytest.approx(0.4)
    assert (by_key["gain"].value, by_key["gain"].target, by_key["gain"].met) == (0.35, 0.3, True)
    assert by_key["gain"].progress == 1.0
    topics = by_key["topics"]
    assert (topics.value, topics.target, topics.met) == (2, 5, False)
    assert topics.missing == ("kerja-luar-negeri", "tppm", "pelaporan")


@pytest.mark.parametrize(
    ("criteria", "facts_changes", "unmet"),
    [
        # The office's own targets, not the defaults.
        (Criteria(min_certified_officers=2), {"certified_officers": 1}, ["officers"]),
        (Criteria(min_events=0), {"events_held": 0}, []),
        (Criteria(min_gain=0.5), {"mean_gain": 0.45}, ["gain"]),
        (Criteria(required_topics=("paspor",)), {"topics": frozenset({"paspor"})}, []),
        # A share of the adult population replaces 30 where the population is entered.
        (Criteria(passed_share_percent=10), {"passed_villagers": 25, "adult_population": 250}, []),
        (
            Criteria(passed_share_percent=10),
            {"passed_villagers": 25, "adult_population": 251},
            ["passed"],
        ),
        (
            Criteria(passed_share_percent=10),
            {"passed_villagers": 29, "adult_population": None},
            ["passed"],
        ),
        # A population entered without a share set by the office changes nothing.
        (Criteria(), {"passed_villagers": 30, "adult_population": 50}, []),
    ],
)
def test_the_offices_own_criteria_decide(criteria, facts_changes, unmet):
    assert unmet_keys(rules.evaluate(criteria, facts(**facts_changes))) == unmet


@pytest.mark.parametrize(
    ("share", "population", "target"),
    [
        (None, None, 30),  # no share, no population: the fixed number
        (None, 800, 30),  # population known, but the office set no share
        (10, None, 30),  # share set, population not entered for this village
        (10, 0, 30),
        (10, 250, 25),
        (10, 251, 26),  # rounded up: 25.1 people cannot pass
        (12.5, 80, 10),
        (100, 40, 40),
        (0.1, 5, 1),  # never below one villager
        (5, 1000, 50),  # may be above the fixed 30
    ],
)
def test_passed_target_is_a_share_of_adults_where_both_are_known(share, population, target):
    criteria = Criteria(min_passed=30, passed_share_percent=share)
    assert rules.passed_target(criteria, population) == target


# ---- status ---------------------------------------------------------------------------------

TODAY = date(2026, 11, 28)
ALL_MET = rules.evaluate(Criteria(), MET)
LAPSED = rules.evaluate(Criteria(), facts(events_held=1))


def certificate(issued, until, revoked=False):
    return CertificateState(issued, until, revoked)


VALID = certificate(date(2025, 6, 1), date(2027, 5, 31))
LAST_DAY = certificate(date(2024, 11, 29), TODAY)
EXPIRED = certificate(date(2024, 11, 28), date(2026, 11, 27))
REVOKED = certificate(date(2026, 1, 10), date(2028, 1, 9), revoked=True)
NEWER_AFTER_REVOKED = certificate(date(2026, 3, 1), date(2028, 2, 29))


@pytest.mark.parametrize(
    ("designated", "results", "activity", "latest", "expected"),
    [
        # Not in the programme until designated, whatever the data says.
        (False, LAPSED, False, None, (Status.BELUM_DIBINA, False)),
        (False, ALL_MET, True, None, (Status.BELUM_DIBINA, False)),
        # belum_dibina -> desa_binaan -> dalam_pembinaan -> memenuhi_syarat
        (True, LAPSED, False, None, (Status.DESA_BINAAN, False)),
        (True, LAPSED, True, None, (Status.DALAM_PEMBINAAN, False)),
        (True, ALL_MET, True, None, (Status.MEMENUHI_SYARAT, False)),
        # -> tersertifikasi: a valid certificate decides the status.
        (True, ALL_MET, True, VALID, (Status.TERSERTIFIKASI, False)),
        (True, LAPSED, True, VALID, (Status.TERSERTIFIKASI, True)),  # perlu perhatian
        (True, LAPSED, False, VALID, (Status.TERSERTIFIKASI, True)),
        (True, ALL_MET, True, LAST_DAY, (Status.TERSERTIFIKASI, False)),  # valid on its last day
        (False, ALL_MET, True, VALID, (Status.TERSERTIFIKASI, False)),
        # -> kedaluwarsa the day after; no attention flag then, even with lapsed criteria.
        (True, ALL_MET, True, EXPIRED, (Status.KEDALUWARSA, False)),
        (True, LAPSED, True, EXPIRED, (Status.KEDALUWARSA, False)),
        # -> dicabut, even within its dates and with every criterion met.
        (True, ALL_MET, True, REVOKED, (Status.DICABUT, False)),
        (True, LAPSED, False, REVOKED, (Status.DICABUT, False)),
        # A newer certificate after a revoked one decides again.
        (True, ALL_MET, True, NEWER_AFTER_REVOKED, (Status.TERSERTIFIKASI, False)),
        (True, LAPSED, True, NEWER_AFTER_REVOKED, (Status.TERSERTIFIKASI, True)),
    ],
)
def test_village_status_through_every_transition(designated, results, activity, latest, expected):
    assert rules.village_status(designated, results, activity, latest, TODAY) == expected


def test_statuses_are_in_the_order_of_the_programme():
    assert [s.value for s in rules.STATUS_ORDER] == [
        "belum_dibina",
        "desa_binaan",
        "dalam_pembinaan",
        "memenuhi_syarat",
        "tersertifikasi",
        "kedaluwarsa",
        "dicabut",
    ]


@pytest.mark.parametrize(
    ("designated", "results", "reason", "refusal"),
    [
        (True, ALL_MET, None, None),
        (True, ALL_MET, "", None),
        (False, ALL_MET, None, "not_designated"),
        (False, LAPSED, REASON, "not_designated"),
        (True, LAPSED, None, "unmet"),
        (True, LAPSED, "", "unmet"),
        (True, LAPSED, "Bupati minta", "reason_too_short"),
        (True, LAPSED, "   " + "x" * 19 + "   ", "reason_too_short"),  # spaces do not count
        (True, LAPSED, "x" * 20, None),
        (True, LAPSED, REASON, None),
    ],
)
def test_a_certificate_needs_designation_and_every_criterion_or_a_written_reason(
    designated, results, reason, refusal
):
    assert rules.can_issue(designated, results, reason) == refusal


# ---- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "months", "start"),
    [
        (date(2026, 11, 28), 12, date(2025, 11, 28)),
        (date(2026, 1, 1), 12, date(2025, 1, 1)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),  # no 29 February a year earlier
        (date(2025, 2, 28), 12, date(2024, 2, 28)),
        (date(2025, 3, 31), 1, date(2025, 2, 28)),  # kept inside the shorter month
        (date(2024, 3, 31), 1, date(2024, 2, 29)),  # a leap year's February
        (date(2026, 5, 31), 3, date(2026, 2, 28)),
        (date(2026, 1, 15), 13, date(2024, 12, 15)),
        (date(2026, 7, 31), 60, date(2021, 7, 31)),
    ],
)
def test_the_window_starts_the_same_day_months_ago(today, months, start):
    assert rules.window_start(today, Criteria(window_months=months)) == start


@pytest.mark.parametrize(
    ("issued", "months", "last_valid_day"),
    [
        (date(2026, 11, 28), 24, date(2028, 11, 27)),
        (date(2026, 1, 1), 24, date(2027, 12, 31)),
        (date(2026, 12, 31), 24, date(2028, 12, 30)),
        (date(2026, 3, 1), 24, date(2028, 2, 29)),  # ends on a leap day
        (date(2023, 3, 1), 12, date(2024, 2, 29)),
        (date(2025, 3, 1), 12, date(2026, 2, 28)),
        # Issued on a leap day: the anniversary falls on 28 February, valid the day before.
        (date(2024, 2, 29), 24, date(2026, 2, 27)),
        (date(2024, 2, 29), 48, date(2028, 2, 28)),
        (date(2026, 8, 31), 6, date(2027, 2, 27)),
        (date(2026, 6, 15), 120, date(2036, 6, 14)),
    ],
)
def test_a_certificate_is_valid_until_the_day_before_its_anniversary(
    issued, months, last_valid_day
):
    assert rules.valid_until(issued, Criteria(validity_months=months)) == last_valid_day


@pytest.mark.parametrize("issued", [date(2026, 1, 1), date(2027, 2, 28), date(2028, 2, 29)])
def test_two_years_of_validity_never_run_into_the_third(issued):
    until = rules.valid_until(issued, Criteria())
    # Two years are 730 or 731 days; the last valid day is the one before the anniversary.
    assert 729 <= (until - issued).days <= 730


# ---- certificate numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{nomor:03}/DSHK/KKT/{bulan_romawi}/{tahun}", None),  # the default
        ("{nomor}/{tahun}", None),
        ("{nomor:03}-{kode_desa}-{bulan:02}/{tahun}", None),
        ("SERT {tahun} NO {nomor:4}", None),
        ("{{ {nomor} }}/{tahun}", None),  # doubled braces are literal text
        # {nomor} and {tahun} are both needed, so numbers stay unique per year.
        ("{nomor}", "missing"),
        ("{tahun}", "missing"),
        ("DSHK/2026", "missing"),
        ("{{nomor}}/{tahun}", "missing"),
        ("", "missing"),
        # Unknown fields, attribute and item access, conversions, odd specs.
        ("{nomer}/{tahun}", "field"),
        ("{nama_desa}/{nomor}/{tahun}", "field"),
        ("{nomor.__class__}/{tahun}", "field"),
        ("{nomor.__class__.__init__.__globals__}/{tahun}", "field"),
        ("{tahun.real}/{nomor}", "field"),
        ("{nomor[0]}/{tahun}", "field"),
        ("{0}/{nomor}/{tahun}", "field"),
        ("{}/{nomor}/{tahun}", "field"),
        ("{nomor!r}/{tahun}", "field"),
        ("{nomor!s}/{tahun}", "field"),
        ("{nomor:>10}/{tahun}", "field"),
        ("{nomor:10}/{tahun}", "field"),  # at most 9 wide
        ("{nomor:099}/{tahun}", "field"),
        ("{nomor:,}/{tahun}", "field"),
        ("{nomor:{tahun}}/{tahun}", "field"),
        ("{nomor:x}/{tahun}", "field"),
        # Broken braces.
        ("{nomor/{tahun}", "syntax"),
        ("{nomor}/{tahun}}", "syntax"),
        ("{nomor}/{tahun", "syntax"),
    ],
)
def test_number_format_is_checked(template, problem):
    assert rules.check_number_format(template) == problem


@pytest.mark.parametrize(
    ("template", "sequence", "issued", "number"),
    [
        (
            "{nomor:03}/DSHK/KKT/{bulan_romawi}/{tahun}",
            7,
            date(2026, 11, 28),
            "007/DSHK/KKT/XI/2026",
        ),
        (
            "{nomor:03}/DSHK/KKT/{bulan_romawi}/{tahun}",
            1234,
            date(2027, 1, 3),
            "1234/DSHK/KKT/I/2027",
        ),
        ("{nomor}/{kode_desa}/{bulan}/{tahun}", 12, date(2027, 4, 1), "12/15.06.11.2004/4/2027"),
        ("{nomor:02}.{bulan:02}.{tahun}", 3, date(2026, 9, 30), "03.09.2026"),
        ("{{{nomor}}}/{tahun}", 5, date(2026, 2, 1), "{5}/2026"),
    ],
)
def test_number_is_filled_in(template, sequence, issued, number):
    assert rules.format_number(template, sequence, issued, "15.06.11.2004") == number


@pytest.mark.parametrize(
    ("month", "roman"),
    [(1, "I"), (2, "II"), (4, "IV"), (5, "V"), (9, "IX"), (10, "X"), (11, "XI"), (12, "XII")],
)
def test_month_in_roman_numerals(month, roman):
    number = rules.format_number("{bulan_romawi}/{nomor}/{tahun}", 1, date(2026, month, 1), "x")
    assert number == f"{roman}/1/2026"


@pytest.mark.parametrize(
    "template",
    [
        "{nomor.__class__}/{tahun}",
        "{nomor.__class__.__init__.__globals__[secrets]}/{tahun}",
        "{0.__class__}/{nomor}/{tahun}",
        "{nomor}",
        "{nomor/{tahun}",
    ],
)
def test_a_refused_format_is_never_filled_in(template):
    with pytest.raises(ValueError, match="format nomor tidak sah"):
        rules.format_number(template, 1, date(2026, 11, 28), "15.06.11.2004")


@pytest.mark.parametrize(
    "template",
    [
        "{nomor:099}/{tahun}",
        "{nomor:099}/{kode_desa:99}/{tahun}",
        "{nomor:9}/{bulan:9}/{tahun:9}/{kode_desa:9}",
        "{nomor}/{tahun}/" + "{kode_desa}" * 9,  # 115 characters; each code adds two
    ],
    ids=["nomor-99-wide", "nomor-and-code-99-wide", "every-field-9-wide", "nine-village-codes"],
)
def test_an_accepted_format_makes_numbers_that_fit_the_certificate(template):
    """The number column holds 120 characters: a format the settings accept must fit in it."""
    from learning.villages.models import VillageCertificate

    width = VillageCertificate.__table__.c.number.type.length
    assert len(template) <= width  # the settings form takes up to 120 characters
    if rules.check_number_format(template) is None:
        number = rules.format_number(template, 99_999, date(2099, 12, 31), "15.06.11.2004")
        assert len(number) <= width, f"{template!r} makes a {len(number)}-character number"
