"""Public verification of certificates, the CSV and XLSX exports, and who may open what."""

import csv
import io
import zipfile
from datetime import datetime, timedelta

import openpyxl
import pytest
from babel.dates import format_date
from sqlalchemy import select

from learning.accounts.models import Role
from learning.core.time import today_local
from learning.events.models import VillagerProfile
from learning.extensions import db
from learning.villages import listing, progress, services
from learning.villages.models import VillageCertificate
from tests.villages.conftest import (
    BRAM_ITAM_RAYA,
    PEMBENGIS,
    REASON,
    SENGETI,
    SIGNATORY_NAME,
    SIGNATORY_NIP,
    days_ago,
    register,
    text,
    village,
)


@pytest.fixture
def issued(admin, designate, signatory):
    """A valid certificate for Pembengis, issued with a written reason."""
    designate()
    certificate = services.issue_certificate(village(PEMBENGIS), admin, REASON)
    db.session.commit()
    return certificate


def long_date(day) -> str:
    return format_date(day, "d MMMM y", locale="id")


# ---- verification ---------------------------------------------------------------------------


def test_verification_is_public_and_shows_a_valid_certificate(client, issued):
    response = client.get(f"/verify/{issued.verify_token}")  # nobody logged in
    assert response.status_code == 200
    page = text(response)
    assert "Sertifikat sah dan berlaku" in page
    assert issued.number in page and "Desa Pembengis" in page
    assert "Kantor Imigrasi Kelas II TPI Kuala Tungkal" in page
    assert long_date(issued.issued_on) in page and long_date(issued.valid_until) in page
    assert "dicabut" not in page.lower() and "habis" not in page


def test_verification_shows_an_expired_certificate_as_expired(client, issued):
    issued.issued_on = today_local() - timedelta(days=731)
    issued.valid_until = today_local() - timedelta(days=1)
    db.session.commit()
    response = client.get(f"/verify/{issued.verify_token}")
    assert response.status_code == 200
    page = text(response)
    assert "Masa berlaku sertifikat sudah habis" in page
    assert "sah dan berlaku" not in page
    assert long_date(today_local() - timedelta(days=1)) in page


def test_verification_shows_a_revoked_certificate_without_the_reason(client, admin, issued):
    reason = "Kepala desa memalsukan daftar hadir acara."
    services.revoke_certificate(issued, reason, admin)
    db.session.commit()
    response = client.get(f"/verify/{issued.verify_token}")
    assert response.status_code == 200
    page = text(response)
    assert "Sertifikat ini telah dicabut" in page and "Dicabut pada" in page
    assert "sah dan berlaku" not in page
    assert reason not in page and "memalsukan" not in page and "Admin Kantor" not in page


@pytest.mark.parametrize("token", ["tidak-ada", "x" * 41, "%00", "00000000"])
def test_an_unknown_token_is_not_found(client, issued, token):
    response = client.get(f"/verify/{token}")
    assert response.status_code == 404
    assert "Sertifikat tidak ditemukan" in text(response)
    assert issued.number not in text(response)


def test_the_certificate_id_is_not_a_verification_token(client, issued):
    assert client.get(f"/verify/{issued.id}").status_code == 404


def test_verification_holds_no_personal_data(
    client, admin, certified_officer, designate, make_event, signatory
):
    designate()
    event = make_event()
    participation = register(event, name="Siti Aminah")
    db.session.commit()
    profile = db.session.scalars(
        select(VillagerProfile).where(VillagerProfile.user_id == participation.user_id)
    ).one()
    profile.phone = "081234567890"
    db.session.commit()
    certificate = services.issue_certificate(village(PEMBENGIS), admin, REASON)
    db.session.commit()

    page = text(client.get(f"/verify/{certificate.verify_token}"))
    assert certificate.number in page
    for personal in (
        SIGNATORY_NAME,
        SIGNATORY_NIP,
        "Raden Sukma",  # the signatory, in part
        "Admin Kantor",  # who issued it
        "Petugas Satu",  # the village's officer
        "Siti Aminah",  # a villager
        "081234567890",
        profile.card_code,
        REASON,  # the override reason is internal
    ):
        assert personal not in page, personal


def test_a_logged_in_villager_or_officer_may_verify_too(client, make_user, login_as, issued):
    for role in (Role.VILLAGER, Role.OFFICER):
        login_as(client, make_user(role=role))
        assert client.get(f"/verify/{issued.verify_token}").status_code == 200


# ---- exports --------------------------------------------------------------------------------

HEADER = listing.EXPORT_HEADER


def csv_rows(response) -> list[dict]:
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets on Windows read UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def xlsx_sheet(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    assert [c.value for c in sheet[1]] == HEADER
    return sheet


def xlsx_rows(sheet) -> list[dict]:
    return [
        dict(zip(HEADER, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    ]


def work_area_codes() -> list[str]:
    return sorted(progress.work_area_village_codes(db.session()))


def test_csv_export_has_one_row_per_village_with_its_status_and_values(
    client, admin, login_as, ready_village
):
    login_as(client, admin)
    response = client.get("/villages/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    stamp = f"{today_local():%Y%m%d}"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="desa-sadar-imigrasi-{stamp}.csv"'
    )
    rows = csv_rows(response)
    assert [r["kode_desa"] for r in rows] == work_area_codes()  # 25, in code order
    by_code = {r["kode_desa"]: r for r in rows}
    assert by_code[PEMBENGIS] == {
        "kode_desa": PEMBENGIS,
        "desa": "Pembengis",
        "kecamatan": "Bram Itam",
        "kabupaten": "Kabupaten Tanjung Jabung Barat",
        "status": "Memenuhi syarat",
        "nomor_sk": "SK-12/DSHK/KKT/2026",
        "tanggal_sk": "2026-01-05",
        "petugas_bersertifikat": "1",
        "acara_dalam_jangka_waktu": "2",
        "warga_lulus_post_test": "30",
        "rerata_gain_ternormalisasi": "0.67",
        "topik_tercakup": "5",
        "kriteria_terpenuhi": "5",
        "peserta_dalam_jangka_waktu": "30",
        "acara_terakhir": days_ago(20).isoformat(),
        "nomor_sertifikat": "",
        "sertifikat_berlaku_sampai": "",
        "status_sertifikat": "",
    }
    other = by_code[SENGETI]
    assert (other["status"], other["nomor_sk"], other["kriteria_terpenuhi"]) == (
        "Belum dibina",
        "",
        "0",
    )
    assert (other["warga_lulus_post_test"], other["rerata_gain_ternormalisasi"]) == ("0", "")


def test_xlsx_export_opens_and_keeps_numbers_and_dates(client, admin, login_as, ready_village):
    certificate = services.issue_certificate(ready_village, admin)
    db.session.commit()
    login_as(client, admin)
    response = client.get("/villages/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = xlsx_rows(xlsx_sheet(response))
    assert [r["kode_desa"] for r in rows] == work_area_codes()
    row = next(r for r in rows if r["kode_desa"] == PEMBENGIS)
    assert row["status"] == "Tersertifikasi"
    assert row["tanggal_sk"] == datetime(2026, 1, 5)
    assert (
        row["petugas_bersertifikat"],
        row["acara_dalam_jangka_waktu"],
        row["warga_lulus_post_test"],
    ) == (
        1,
        2,
        30,
    )
    assert row["rerata_gain_ternormalisasi"] == pytest.approx(0.67)
    assert (row["kriteria_terpenuhi"], row["peserta_dalam_jangka_waktu"]) == (5, 30)
    assert row["nomor_sertifikat"] == certificate.number
    assert row["sertifikat_berlaku_sampai"] == datetime.combine(
        certificate.valid_until, datetime.min.time()
    )
    other = next(r for r in rows if r["kode_desa"] == SENGETI)
    assert (other["status"], other["kriteria_terpenuhi"], other["nomor_sertifikat"]) == (
        "Belum dibina",
        0,
        None,
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_regency_filter_limits_the_rows(client, admin, login_as, designate, fmt):
    designate(SENGETI)
    login_as(client, admin)
    response = client.get(f"/villages/export.{fmt}?kabupaten=15.05")
    assert response.status_code == 200
    assert f"-1505.{fmt}" in response.headers["Content-Disposition"]
    rows = csv_rows(response) if fmt == "csv" else xlsx_rows(xlsx_sheet(response))
    codes = [r["kode_desa"] for r in rows]
    assert codes == [c for c in work_area_codes() if c.startswith("15.05.")]
    assert len(codes) == 6
    statuses = {r["kode_desa"]: r["status"] for r in rows}
    assert statuses[SENGETI] == "Desa binaan"
    assert set(statuses.values()) == {"Desa binaan", "Belum dibina"}


def test_status_and_district_filters_apply_to_the_export(client, admin, login_as, designate):
    designate(SENGETI)
    designate(BRAM_ITAM_RAYA)
    login_as(client, admin)
    rows = csv_rows(client.get("/villages/export.csv?status=desa_binaan"))
    assert [r["kode_desa"] for r in rows] == [SENGETI, BRAM_ITAM_RAYA]
    rows = csv_rows(client.get("/villages/export.csv?kecamatan=15.06.11&status=desa_binaan"))
    assert [r["kode_desa"] for r in rows] == [BRAM_ITAM_RAYA]


@pytest.mark.parametrize(
    "decree", ["=1+1", '=HYPERLINK("http://x","klik")', "+62 812", "-1+2", "@SUM(A1)"]
)
def test_text_that_looks_like_a_formula_is_written_as_text(client, admin, login_as, decree):
    login_as(client, admin)
    designated = client.post(
        f"/villages/{BRAM_ITAM_RAYA}/designation",
        data={"decree_number": decree, "decree_date": "2026-02-01"},
    )
    assert designated.status_code == 302
    assert services.get_designation(BRAM_ITAM_RAYA).decree_number == decree

    rows = csv_rows(client.get("/villages/export.csv"))
    row = next(r for r in rows if r["kode_desa"] == BRAM_ITAM_RAYA)
    assert row["nomor_sk"] == "'" + decree

    response = client.get("/villages/export.xlsx")
    sheet = xlsx_sheet(response)
    column = HEADER.index("nomor_sk") + 1
    cell = next(
        sheet.cell(row=r, column=column)
        for r in range(2, sheet.max_row + 1)
        if sheet.cell(row=r, column=1).value == BRAM_ITAM_RAYA
    )
    assert (cell.value, cell.data_type) == (decree, "s")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml  # no cell of the workbook is a formula


def test_a_negative_gain_stays_a_number(client, admin, login_as, make_event, pass_villagers):
    pass_villagers(make_event(village_code=SENGETI), 2, pre=60, post=40)
    login_as(client, admin)
    row = next(r for r in csv_rows(client.get("/villages/export.csv")) if r["kode_desa"] == SENGETI)
    assert row["rerata_gain_ternormalisasi"] == "-0.5"  # a number, not an escaped text


# ---- who may open what ----------------------------------------------------------------------

ADMIN_ONLY_GETS = [
    "/villages/",
    "/villages/export.csv",
    "/villages/export.xlsx",
    "/villages/criteria",
    "/villages/certificate-settings",
]


def admin_only_posts(certificate_id) -> list[tuple[str, dict]]:
    return [
        ("/villages/criteria", {"min_events": "0"}),
        ("/villages/certificate-settings", {"signatory_name": "Penyusup"}),
        (f"/villages/{PEMBENGIS}/designation", {"decree_number": "X", "decree_date": "2026-01-01"}),
        (f"/villages/{PEMBENGIS}/certificates", {"override_reason": REASON}),
        (f"/villages/certificates/{certificate_id}/revoke", {"reason": "Dicabut oleh petugas."}),
    ]


def test_an_officer_is_refused_the_office_pages_and_every_change(client, login_as, officer, issued):
    login_as(client, officer)  # assigned to Pembengis, the certified village
    for url in ADMIN_ONLY_GETS:
        assert client.get(url).status_code == 403, url
    for url, data in admin_only_posts(issued.id):
        assert client.post(url, data=data).status_code == 403, url
    assert db.session.get(VillageCertificate, issued.id, populate_existing=True).revoked_at is None
    assert services.get_designation(PEMBENGIS).decree_number == "SK-12/DSHK/KKT/2026"


def test_an_officer_sees_only_their_own_villages(
    client, admin, login_as, officer, issued, designate
):
    designate(SENGETI)
    other = services.issue_certificate(village(SENGETI), admin, REASON)
    db.session.commit()
    login_as(client, officer)
    own = client.get(f"/villages/{PEMBENGIS}")
    assert own.status_code == 200 and "Pembengis" in text(own)
    assert 'action="/villages/15.06.11.2004/certificates"' not in text(own)  # no admin forms
    assert client.get(f"/villages/certificates/{issued.id}").status_code == 200
    assert client.get(f"/villages/{SENGETI}").status_code == 403
    assert client.get(f"/villages/{BRAM_ITAM_RAYA}").status_code == 403
    assert client.get(f"/villages/certificates/{other.id}").status_code == 403
    mine = text(client.get("/villages/mine"))
    assert "Pembengis" in mine and "Sengeti" not in mine


def test_villagers_and_anonymous_users_are_refused(client, make_user, login_as, issued):
    urls = [
        *ADMIN_ONLY_GETS,
        "/villages/mine",
        f"/villages/{PEMBENGIS}",
        f"/villages/certificates/{issued.id}",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/accounts/login"), url
    for url, data in admin_only_posts(issued.id):
        assert client.post(url, data=data).status_code == 302, url

    login_as(client, make_user(role=Role.VILLAGER))
    for url in urls:
        assert client.get(url).status_code == 403, url
    for url, data in admin_only_posts(issued.id):
        assert client.post(url, data=data).status_code == 403, url
    assert db.session.get(VillageCertificate, issued.id, populate_existing=True).revoked_at is None


def test_a_village_outside_the_work_area_is_not_found(client, admin, login_as):
    login_as(client, admin)
    assert client.get("/villages/12.07.28.1007").status_code == 404
    assert client.get("/villages/99.99.99.9999").status_code == 404
