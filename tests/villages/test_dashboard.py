"""The office's dashboard of villages (filters, sort, pages, counts) and the officer's page."""

import re
from datetime import timedelta

import pytest

from learning.accounts import services as accounts
from learning.accounts.models import Role
from learning.core.time import today_local
from learning.extensions import db
from learning.villages import listing, progress, rules, services
from tests.villages.conftest import (
    ALL_TOPICS,
    BRAM_ITAM_RAYA,
    PEMBENGIS,
    REASON,
    SENGETI,
    WORK_AREA_VILLAGES,
    days_ago,
    text,
    village,
)

VILLAGE_LINK = re.compile(r'<a href="/villages/(\d\d\.\d\d\.\d\d\.\d{4})">')
STATUS_BAR = re.compile(
    r'class="chart-label">([^<]+)</text>\s*<rect[^>]*st-(\w+)"/>\s*'
    r'<text[^>]*class="chart-value">(\d+)</text>'
)
BRAM_ITAM = [
    "15.06.11.1001",
    "15.06.11.2002",
    "15.06.11.2003",
    "15.06.11.2004",
    "15.06.11.2005",
    "15.06.11.2006",
]


def listed(response) -> list[str]:
    """The village codes of the dashboard's table, in the order shown."""
    assert response.status_code == 200
    return VILLAGE_LINK.findall(text(response))


def status_bars(page: str) -> dict[str, int]:
    return {status: int(n) for _label, status, n in STATUS_BAR.findall(page)}


def work_area() -> list[str]:
    return sorted(progress.work_area_village_codes(db.session()))


@pytest.fixture
def spread(ready_village, designate, make_event, pass_villagers, admin, make_user):
    """Villages at different stages, and a second officer with two villages.

    Pembengis meets every criterion (30 participants, last event 20 days ago); Sengeti held
    one event 5 days ago (3 participants, criteria 4 and 5 met); Bram Itam Raya is designated
    and certified with a reason, so it needs attention.
    """
    designate(SENGETI)
    pass_villagers(make_event(village_code=SENGETI, held_on=days_ago(5)), 3)
    designate(BRAM_ITAM_RAYA)
    services.issue_certificate(village(BRAM_ITAM_RAYA), admin, REASON)
    db.session.commit()
    return make_user(
        role=Role.OFFICER, display_name="Petugas Dua", villages=[SENGETI, "15.07.01.2001"]
    )


@pytest.fixture
def office(client, admin, login_as):
    login_as(client, admin)
    return client


# ---- filters --------------------------------------------------------------------------------


# One setup for the whole table: each row is a query and the villages it must list.
FILTERS = [
    ("", "all"),
    ("?kabupaten=15.05", "muaro_jambi"),
    ("?kecamatan=15.06.11", BRAM_ITAM),
    ("?kabupaten=15.06&kecamatan=15.06.11", BRAM_ITAM),
    ("?status=memenuhi_syarat", [PEMBENGIS]),
    ("?status=dalam_pembinaan", [SENGETI]),
    ("?status=tersertifikasi", [BRAM_ITAM_RAYA]),
    ("?status=perlu_perhatian", [BRAM_ITAM_RAYA]),
    ("?status=desa_binaan", []),
    (
        "?status=belum_dibina&kecamatan=15.06.11",
        [c for c in BRAM_ITAM if c not in (PEMBENGIS, BRAM_ITAM_RAYA)],
    ),
    ("?status=tidak-dikenal", "all"),  # an unknown status is ignored
    ("?q=bram", ["15.06.11.1001", "15.06.11.2002", "15.06.11.2005"]),
    ("?q=BRAM%20ITAM%20RAYA", [BRAM_ITAM_RAYA]),
    ("?q=tidak-ada-desa-ini", []),
    ("?kabupaten=15.05&q=sengeti", [SENGETI]),
    ("?kabupaten=15.07&q=sengeti", []),
    ("?kabupaten=15.06&status=dalam_pembinaan", []),
    ("?petugas=bukan-uuid", []),
    ("?petugas={officer}", [PEMBENGIS]),
    ("?petugas={second_officer}", [SENGETI, "15.07.01.2001"]),
    ("?petugas={second_officer}&status=dalam_pembinaan", [SENGETI]),
]


def test_filters_choose_the_villages(office, spread, officer):
    wrong = {}
    for query, expected in FILTERS:
        url = "/villages/" + query.format(officer=officer.id, second_officer=spread.id)
        if expected == "all":
            expected = work_area()
        elif expected == "muaro_jambi":
            expected = [c for c in work_area() if c.startswith("15.05.")]
        response = office.get(url)
        codes = listed(response)
        if codes != expected:
            wrong[query] = codes
        elif not expected and "Tidak ada desa yang cocok dengan saringan ini." not in text(
            response
        ):
            wrong[query] = "no empty-list message"
        elif f"{len(expected)} desa ditemukan." not in text(response):
            wrong[query] = "wrong total"
    assert wrong == {}
    page = text(office.get("/villages/"))
    assert "Petugas Satu" in page and "Petugas Dua" in page  # both offered in the filter


SORTS = [
    ("kode", ["15.05.02.1010", "15.05.02.2001"]),
    ("nama", ["15.07.01.2001", "15.06.11.2002"]),  # Alang-Alang, Bram Itam Kanan
    ("kemajuan", [PEMBENGIS, SENGETI]),  # 5 criteria, then 2 (gain and topics)
    ("peserta", [PEMBENGIS, SENGETI]),  # 30 participants, then 3
    ("acara", [SENGETI, PEMBENGIS]),  # 5 days ago, then 20 days ago; no event last
    ("tidak-dikenal", ["15.05.02.1010", "15.05.02.2001"]),  # falls back to the code
]


def test_sort_orders_the_list(office, spread):
    for sort, first in SORTS:
        codes = listed(office.get(f"/villages/?urut={sort}"))
        assert codes[:2] == first, sort
        assert sorted(codes) == work_area(), sort  # sorting leaves out no village
    by_name = listed(office.get("/villages/?urut=nama"))
    names = [village(code).name for code in by_name]
    assert names == sorted(names)


def test_status_counts_add_up_to_the_villages_of_the_area(office, spread):
    page = text(office.get("/villages/"))
    bars = status_bars(page)
    assert list(bars) == [s.value for s in rules.STATUS_ORDER]
    assert sum(bars.values()) == 25
    assert "<strong>25</strong> desa/kelurahan" in page
    assert (bars["memenuhi_syarat"], bars["dalam_pembinaan"], bars["tersertifikasi"]) == (1, 1, 1)
    assert bars["belum_dibina"] == 22
    assert "<strong>1</strong> perlu perhatian" in page
    # A regency filter narrows the counts; a status filter does not (it picks within them).
    muaro_jambi = status_bars(text(office.get("/villages/?kabupaten=15.05")))
    assert sum(muaro_jambi.values()) == 6 and muaro_jambi["dalam_pembinaan"] == 1
    filtered = text(office.get("/villages/?status=memenuhi_syarat"))
    assert status_bars(filtered) == bars
    assert "1 desa ditemukan." in filtered


# ---- pages ----------------------------------------------------------------------------------


def test_the_whole_work_area_is_paged_fifty_at_a_time(office, whole_work_area):
    first = office.get("/villages/")
    page = text(first)
    assert f"{WORK_AREA_VILLAGES} desa ditemukan." in page
    assert "Halaman 1 dari 8" in page and 'href="/villages/?halaman=2" rel="next"' in page
    assert sum(status_bars(page).values()) == WORK_AREA_VILLAGES
    counts, _attention = listing.status_counts(listing.Filters())
    assert sum(counts.values()) == WORK_AREA_VILLAGES

    pages = [listed(office.get(f"/villages/?halaman={n}")) for n in range(1, 9)]
    assert [len(codes) for codes in pages] == [50] * 7 + [32]
    everything = [code for codes in pages for code in codes]
    assert everything == work_area() and len(everything) == WORK_AREA_VILLAGES
    second = text(office.get("/villages/?halaman=2"))
    assert "Halaman 2 dari 8" in second and 'href="/villages/?halaman=1" rel="prev"' in second
    # Out-of-range and unreadable page numbers land on a real page.
    assert listed(office.get("/villages/?halaman=99")) == pages[-1]
    assert listed(office.get("/villages/?halaman=abc")) == pages[0]
    assert listed(office.get("/villages/?halaman=-3")) == pages[0]
    # Filters are kept when paging.
    muaro_jambi = text(office.get("/villages/?kabupaten=15.05"))
    assert "Halaman 1 dari 4" in muaro_jambi
    assert 'href="/villages/?kabupaten=15.05&amp;halaman=2" rel="next"' in muaro_jambi


# ---- the officer's page ---------------------------------------------------------------------


def test_the_officer_page_lists_their_villages_and_what_each_still_needs(
    client, login_as, admin, officer, ready_village, designate
):
    accounts.set_officer_villages(officer, [PEMBENGIS, BRAM_ITAM_RAYA], admin)
    db.session.commit()
    designate(BRAM_ITAM_RAYA)
    login_as(client, officer)
    page = text(client.get("/villages/mine"))
    pembengis, bram_itam_raya = page.split('<li class="card">')[1:3]
    assert "Desa Pembengis" in pembengis and "Memenuhi syarat" in pembengis
    assert "Semua kriteria kantor terpenuhi." in pembengis
    assert "Desa Bram Itam Raya" in bram_itam_raya and "Desa binaan" in bram_itam_raya
    assert "Yang masih dibutuhkan:" in bram_itam_raya
    assert "PIMPASA bersertifikat" not in bram_itam_raya  # the certified officer is assigned
    for need in (
        "Acara sosialisasi di desa: 0 dari 2",
        "Warga desa lulus tes akhir: 0 dari 30",
        "Rata-rata peningkatan ternormalisasi: – (target 0,30)",
        "Topik wajib tercakup: 0 dari 5",
        "Paspor, Bekerja ke luar negeri secara prosedural, TPPO (perdagangan orang)",
    ):
        assert need in bram_itam_raya, need
    assert "Sengeti" not in page


def test_the_officer_page_names_the_topics_still_missing(
    client, login_as, officer, make_event, pass_villagers
):
    pass_villagers(make_event(lesson_slugs=ALL_TOPICS[:2]), 1)
    login_as(client, officer)
    page = text(client.get("/villages/mine"))
    assert "Topik wajib tercakup: 2 dari 5 (belum: TPPO (perdagangan orang), " in page
    assert "Warga desa lulus tes akhir: 1 dari 30" in page


def test_an_officer_without_villages_is_told_so(client, login_as, make_user):
    login_as(client, make_user(role=Role.OFFICER))
    assert "Anda belum ditugaskan ke desa mana pun." in text(client.get("/villages/mine"))


def test_the_officer_page_is_current_when_the_window_has_moved(
    client, login_as, officer, make_event, pass_villagers
):
    """Computed yesterday, an event at the edge of the window counted; today it does not."""
    today = today_local()
    yesterday = today - timedelta(days=1)
    edge = rules.window_start(yesterday, rules.Criteria())
    assert edge < rules.window_start(today, rules.Criteria())
    pass_villagers(make_event(held_on=edge), 1)
    pass_villagers(make_event(held_on=days_ago(10)), 1)
    progress.refresh_all(db.session(), today=yesterday)  # the last computation was yesterday
    db.session.commit()

    login_as(client, officer)
    page = text(client.get("/villages/mine"))
    assert "Acara sosialisasi di desa: 1 dari 2" in page
    # The village page and the office's dashboard agree.
    assert "1 dari 2" in text(client.get(f"/villages/{PEMBENGIS}"))
