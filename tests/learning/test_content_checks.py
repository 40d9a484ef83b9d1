"""The content validator refuses each kind of bad lesson file, naming file and line."""

import shutil
from pathlib import Path

import pytest

from learning.core.citations import parse_citation
from learning.lessons.checks import check_lessons
from learning.lessons.rules import is_lesson_done, readability, sentences, unexplained_terms

ROOT = Path(__file__).resolve().parents[2]
OFFICER = "lessons/pimpasa/05-tppo.md"
VILLAGER = "lessons/warga/01-apa-itu-paspor.md"


@pytest.fixture
def content(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    return folder


def problems_after(content, relative, old, new):
    path = content / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    _lessons, problems = check_lessons(content, ROOT / "static")
    return [str(p) for p in problems]


def test_bundled_lessons_pass(content):
    assert check_lessons(content, ROOT / "static")[1] == []


@pytest.mark.parametrize(
    ("relative", "old", "new", "expected"),
    [
        (OFFICER, "title: ", "judul: ", "kolom wajib tidak ada atau kosong: title"),
        (OFFICER, "slug: tppo", "slug: tppo-lain", "slug harus sama dengan nama berkas: tppo"),
        (
            OFFICER,
            "audience: officer",
            "audience: villager",
            "audience jalur pimpasa adalah officer",
        ),
        (OFFICER, "minutes: 10", "minutes: 45", "minutes harus bilangan bulat 5 sampai 15"),
        (
            OFFICER,
            "sources:\n",
            "sources:\n  - UU 21/2007 pasal 3\n",
            "sitasi tidak mengikuti format",
        ),
        (
            OFFICER,
            "sources:\n",
            "sources:\n  - UU 99/2099 Pasal 1\n",
            "peraturan tidak ada di instruments.yml: UU 99/2099",
        ),
        (
            OFFICER,
            "sources:\n",
            "sources:\n  - UU 21/2007 Pasal 66\n",
            "sumber tidak dipakai di teks: UU 21/2007 Pasal 66",
        ),
        (
            OFFICER,
            "## ",
            "Lihat (UU 21/2007 Pasal 49).\n\n## ",
            "sitasi di teks tidak tercantum di sources: UU 21/2007 Pasal 49",
        ),
        (OFFICER, "## ", "Lihat UU 21/2007 Pasal 2(1).\n\n## ", "tulis ayat sebagai 'ayat (n)'"),
        (
            OFFICER,
            "## ",
            "Baca [ini](lesson:tidak-ada).\n\n## ",
            "tautan ke pelajaran yang tidak ada: lesson:tidak-ada",
        ),
        (OFFICER, "topic: tppo", "topic: paspor", "topik pelajaran petugas sama dengan slug-nya"),
        (
            VILLAGER,
            "illustration: img/lessons/apa-itu-paspor.svg",
            "illustration: img/lessons/hilang.svg",
            "ilustrasi tidak ditemukan di static/",
        ),
        (VILLAGER, "topic: paspor", "topic: pajak", "topik warga harus salah satu dari"),
        (
            VILLAGER,
            "## Urus sendiri",
            (
                "Ini adalah satu kalimat yang sengaja dibuat sangat panjang sekali supaya "
                "pemeriksa keterbacaan menolak kalimat yang jauh melebihi batas tiga puluh kata "
                "untuk pembaca warga desa di acara sosialisasi hari ini.\n\n## Urus sendiri"
            ),
            "kalimat 31 kata (maks 30)",
        ),
        (
            VILLAGER,
            "## Buku penting untuk ke luar negeri\n",
            "## Buku penting untuk ke luar negeri\n\nUrus paspor tanpa calo.\n",
            "istilah 'calo' belum dijelaskan saat pertama muncul",
        ),
        (OFFICER, "---\n", "---\nkunci: [tidak ditutup\n", "YAML tidak sah"),
    ],
)
def test_each_kind_of_bad_lesson_is_refused_with_file_and_line(
    content, relative, old, new, expected
):
    problems = problems_after(content, relative, old, new)
    hits = [p for p in problems if expected in p]
    assert hits, problems
    assert all(p.startswith(str(content / relative) + ":") for p in hits)
    assert all(p.split(":")[1].isdigit() for p in hits)


def test_the_line_number_points_at_the_fault(content):
    path = content / OFFICER
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("## ")) + 1
    lines.insert(index, "Lihat (UU 21/2007 Pasal 49).")
    path.write_text("\n".join(lines), encoding="utf-8")
    problems = [p for p in check_lessons(content, ROOT / "static")[1] if "Pasal 49" in p.message]
    assert [p.line for p in problems] == [index + 1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Satu kalimat. Dua kalimat!", ["Satu kalimat.", "Dua kalimat!"]),
        ("## Judul kartu\n\nIsi kartu.", ["Judul kartu", "Isi kartu."]),
        ("- butir satu\n- butir dua", ["butir satu", "butir dua"]),
        ("Bayar Rp350.000 saja. Selesai.", ["Bayar Rp350.000 saja.", "Selesai."]),
        ("Baris satu\nmasih kalimat sama.", ["Baris satu masih kalimat sama."]),
    ],
)
def test_sentences_are_split_as_a_reader_sees_them(text, expected):
    assert sentences(text) == expected


def test_readability_reports_average_and_longest():
    measured = readability("Satu dua tiga. Satu dua tiga empat lima.")
    assert (measured.sentences, measured.average_words, measured.longest_words) == (2, 4.0, 5)


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("TPPO (perdagangan orang) dilarang. TPPO jahat.", []),
        ("TPPO adalah kejahatan.", []),
        ("Laporkan TPPO segera. TPPO (perdagangan orang) dilarang.", ["TPPO"]),
        ("## TPPO\n\nTPPO: perdagangan orang.", []),
        ("Unduh M-Paspor di ponsel.", []),  # 'Paspor' inside M-Paspor is not the term
    ],
)
def test_legal_terms_are_explained_at_first_use(text, missing):
    assert [term for term, _o in unexplained_terms(text, ["TPPO", "Paspor"])] == missing


@pytest.mark.parametrize(
    ("completed", "versions", "reread", "done"),
    [
        (set(), [1], [], False),
        ({1}, [1], [], True),
        ({1}, [1, 2], [], True),  # an older version still counts
        ({1}, [1, 2], [2], False),  # unless the new one must be read again
        ({2}, [1, 2, 3], [2], True),  # read after the reread version
        ({1}, [1, 2, 3], [2], False),
        ({3}, [1, 2], [], True),
    ],
)
def test_lesson_done_rule(completed, versions, reread, done):
    assert is_lesson_done(completed, versions, reread) is done


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("UU 6/2011 Pasal 126 huruf c", True),
        ("UU 1/2023 Pasal 455 ayat (1)", True),
        ("PP 45/2024 Lampiran III.A", True),
        ("UU 6/2011 Pasal 24A", True),
        ("UU 1/2026", True),
        ("UU 6/2011 pasal 5", False),
        ("UU 6/2011 Pasal 5(1)", False),
        ("Pasal 5", False),
        ("UU 6 2011 Pasal 5", False),
        ("KUHP Pasal 455", False),
    ],
)
def test_citation_grammar(text, valid):
    assert (parse_citation(text) is not None) is valid


def test_a_part_falls_under_its_article_but_not_a_neighbour():
    article = parse_citation("UU 21/2007 Pasal 2")
    assert parse_citation("UU 21/2007 Pasal 2 ayat (1)").falls_under(article)
    assert not parse_citation("UU 21/2007 Pasal 20").falls_under(article)
    assert not parse_citation("UU 6/2011 Pasal 2").falls_under(article)
