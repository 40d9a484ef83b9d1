"""Official regions: shipped data, idempotent import, bad files, the office's work area."""

import csv
import gzip
import shutil

import pytest
from sqlalchemy import func, select

from learning.config import ROOT
from learning.core.models import AuditEntry
from learning.extensions import db
from learning.regions.importer import RegionsDataError, import_regions, read_region_files
from learning.regions.models import Village, VillageKind
from learning.regions.services import (
    count_work_area_villages,
    get_office,
    region_counts,
)
from tests.conftest import REGIONS_FIXTURE

SHIPPED = ROOT / "learning" / "regions" / "data"


def test_shipped_data_holds_every_official_region_with_its_licence():
    data = read_region_files(SHIPPED)
    counts = {name: len(rows) for name, rows in data.items()}
    assert counts == {"provinces": 38, "regencies": 514, "districts": 7285, "villages": 83762}
    area = [v for v in data["villages"] if v["code"][:5] in {"15.05", "15.06", "15.07"}]
    assert len(area) == 382
    assert "Open Database License" in (SHIPPED / "LICENSE.md").read_text()
    assert "idn-area-data" in (SHIPPED / "README.md").read_text()


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("15.05.02.1010", VillageKind.KELURAHAN),
        ("15.06.11.2004", VillageKind.DESA),
        ("91.03.01.3007", VillageKind.DESA_ADAT),
    ],
)
def test_village_kind_follows_the_code(code, kind):
    assert db.session.get(Village, code).kind == kind


def test_names_with_commas_survive_the_import():
    assert db.session.get(Village, "12.07.28.1007").name == "Lubuk Pakam I,II"


def test_second_import_changes_nothing():
    before = region_counts()
    stats = import_regions(REGIONS_FIXTURE)
    db.session.commit()
    assert not stats.changed
    assert sum(stats.unchanged.values()) == sum(before.values())
    assert region_counts() == before


def test_renamed_village_is_updated_in_place(tmp_path):
    folder = tmp_path / "regions"
    shutil.copytree(REGIONS_FIXTURE, folder)
    villages = (folder / "villages.csv").read_text(encoding="utf-8")
    (folder / "villages.csv").write_text(
        villages.replace("Pembengis", "Pembengis Baru"), encoding="utf-8"
    )
    stats = import_regions(folder)
    db.session.commit()
    assert stats.updated["villages"] == 1 and stats.inserted["villages"] == 0
    assert db.session.get(Village, "15.06.11.2004").name == "Pembengis Baru"
    import_regions(REGIONS_FIXTURE)
    db.session.commit()


def test_gzipped_files_are_read_like_plain_ones(tmp_path):
    for path in REGIONS_FIXTURE.glob("*.csv"):
        with open(path, "rb") as src, gzip.open(tmp_path / (path.name + ".gz"), "wb") as dst:
            dst.write(src.read())
    assert {k: len(v) for k, v in read_region_files(tmp_path).items()} == {
        k: len(v) for k, v in read_region_files(REGIONS_FIXTURE).items()
    }


@pytest.mark.parametrize(
    ("file", "line", "expected"),
    [
        ("villages.csv", "15.06.11.2097,15.06.11,", "villages.csv:{n}: nama kosong"),
        ("villages.csv", "15.06.11.9004,15.06.11,Salah", "kode tidak sah: 15.06.11.9004"),
        ("villages.csv", "15.99.11.2004,15.99.11,Tanpa Induk", "induk 15.99.11 tidak dikenal"),
        ("villages.csv", '15.06.11.2099,15.06.11,"Kutip tak ditutup', "CSV rusak"),
        ("districts.csv", "15.06.11,15.06,Bram Itam", "kode ganda: 15.06.11"),
    ],
)
def test_malformed_file_is_refused_with_its_line_and_nothing_is_written(
    tmp_path, file, line, expected
):
    folder = tmp_path / "regions"
    shutil.copytree(REGIONS_FIXTURE, folder)
    with open(folder / file, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    n = sum(1 for _ in open(folder / file, encoding="utf-8"))
    # A new valid village placed before the bad line must not be written either.
    with open(folder / "villages.csv", encoding="utf-8") as fh:
        rows = fh.read()
    (folder / "villages.csv").write_text(
        rows.replace(
            "code,district_code,name\n", "code,district_code,name\n15.06.11.2098,15.06.11,Baru\n"
        ),
        encoding="utf-8",
    )
    if file == "villages.csv":
        n += 1
    before = region_counts()
    with pytest.raises(RegionsDataError) as info:
        import_regions(folder)
    assert any(expected.format(n=n) in problem for problem in info.value.problems), (
        info.value.problems
    )
    db.session.rollback()
    assert region_counts() == before
    assert db.session.get(Village, "15.06.11.2098") is None


def test_wrong_header_is_reported(tmp_path):
    folder = tmp_path / "regions"
    shutil.copytree(REGIONS_FIXTURE, folder)
    (folder / "provinces.csv").write_text("kode,nama\n15,Jambi\n", encoding="utf-8")
    with pytest.raises(RegionsDataError) as info:
        read_region_files(folder)
    assert "provinces.csv:1: kolom harus code,name" in info.value.problems[0]


def test_import_regions_command_reports_a_bad_file_in_indonesian(app, tmp_path):
    folder = tmp_path / "regions"
    shutil.copytree(REGIONS_FIXTURE, folder)
    with open(folder / "villages.csv", "a", encoding="utf-8") as fh:
        fh.write("bukan,kode,desa\n")
    result = app.test_cli_runner().invoke(args=["import-regions", "--dir", str(folder)])
    assert result.exit_code == 1
    assert "Berkas wilayah rusak; tidak ada yang disimpan" in result.output


def test_default_work_area_is_the_three_regencies():
    office = get_office()
    assert office.name == "Kantor Imigrasi Kelas II TPI Kuala Tungkal"
    assert [r.code for r in office.regencies] == ["15.05", "15.06", "15.07"]
    in_area = db.session.scalar(
        select(func.count())
        .select_from(Village)
        .where(func.substr(Village.code, 1, 5).in_(["15.05", "15.06", "15.07"]))
    )
    assert count_work_area_villages() == in_area


def test_admin_changes_the_work_area_and_it_is_audited(client, admin, login_as):
    login_as(client, admin)
    response = client.post("/regions/manage/work-area", data={"regencies": ["15.06", "15.07"]})
    assert response.status_code == 302
    assert [r.code for r in get_office().regencies] == ["15.06", "15.07"]
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "office.work_area_changed")
    ).one()
    assert entry.actor_name == "Admin Kantor"
    assert entry.details == {"before": ["15.05", "15.06", "15.07"], "after": ["15.06", "15.07"]}


def test_an_empty_work_area_is_refused(client, admin, login_as):
    login_as(client, admin)
    response = client.post("/regions/manage/work-area", data={})
    assert response.status_code == 400
    assert "Pilih paling sedikit satu kabupaten/kota" in response.get_data(as_text=True)
    assert len(get_office().regencies) == 3


def test_shipped_csv_is_quoted_where_names_have_commas():
    with gzip.open(SHIPPED / "villages.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        names = [row["name"] for row in csv.DictReader(fh) if "," in row["name"]]
    assert names  # read by a CSV reader, these stay whole


def test_a_byte_order_mark_from_a_spreadsheet_is_accepted(tmp_path):
    folder = tmp_path / "regions"
    shutil.copytree(REGIONS_FIXTURE, folder)
    path = folder / "provinces.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(read_region_files(folder)["provinces"]) == 3


def test_a_broken_level_stops_the_check_and_the_list_stays_short(tmp_path):
    folder = tmp_path / "regions"
    shutil.copytree(REGIONS_FIXTURE, folder)
    (folder / "regencies.csv").write_text("kode,induk,nama\n", encoding="utf-8")
    lines = ["code,name"] + [f"{n:02d},Provinsi {n}" for n in range(20, 99)]
    (folder / "provinces.csv").write_text(
        "\n".join(lines + ["xx,Salah"] * 80) + "\n", encoding="utf-8"
    )
    with pytest.raises(RegionsDataError) as info:
        read_region_files(folder)
    problems = info.value.problems
    assert len(problems) == 51 and problems[-1] == "... dan 30 masalah lain"
    assert not any("regencies.csv" in p for p in problems)  # not reached


def test_a_name_longer_than_the_column_is_refused_before_writing(tmp_path):
    folder = tmp_path / "regions"
    shutil.copytree(REGIONS_FIXTURE, folder)
    with open(folder / "villages.csv", "a", encoding="utf-8") as fh:
        fh.write("15.06.11.2096,15.06.11," + "A" * 101 + "\n")
    with pytest.raises(RegionsDataError) as info:
        read_region_files(folder)
    assert "lebih dari 100 huruf" in info.value.problems[0]


def test_codes_dropped_from_the_files_are_kept_and_counted(tmp_path):
    folder = tmp_path / "regions"
    shutil.copytree(REGIONS_FIXTURE, folder)
    rows = (folder / "villages.csv").read_text(encoding="utf-8").splitlines()
    (folder / "villages.csv").write_text("\n".join(r for r in rows if "Pembengis" not in r) + "\n")
    stats = import_regions(folder)
    assert stats.missing["villages"] == 1
    assert db.session.get(Village, "15.06.11.2004") is not None
