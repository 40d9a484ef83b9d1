"""The content validator refuses each kind of bad question."""

import shutil
from pathlib import Path

import pytest

from learning.lessons.checks import check_lessons, load_context
from quizzes.checks import check_question_files

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def content(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    return folder


def check(content):
    lessons, _ = check_lessons(content, ROOT / "static")
    ctx = load_context(content, ROOT / "static")
    known = {f.get("slug"): {"track": f.get("track"), "topic": f.get("topic")} for f in lessons}
    return check_question_files(content, ctx, known)


def test_bundled_question_bank_passes_and_is_large_enough(content):
    questions, problems = check(content)
    assert problems == []
    by_track = {t: [q for q in questions if q["track"] == t] for t in ("pimpasa", "warga")}
    assert len(by_track["pimpasa"]) >= 80 and len(by_track["warga"]) >= 40
    assert {q["pool"] for q in by_track["warga"]} == {"pre", "post"}


def _replace(content, name, old, new):
    path = content / "questions" / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (
            "warga/paspor.yml",
            "    citations: [PP 31/2013 Pasal 52 ayat (1)]\n",
            "    citations: []\n",
            "paling sedikit satu sumber hukum",
        ),
        (
            "warga/paspor.yml",
            "      - text: Titip berkas kepada calo yang kenal petugas\n",
            "      - text: Titip berkas kepada calo yang kenal petugas\n        correct: true\n",
            "tepat satu jawaban benar (ada 2)",
        ),
        (
            "warga/paspor.yml",
            "      - text: Titip berkas kepada calo yang kenal petugas\n",
            "      - text: Minta agen kerja mengurus semuanya tanpa Anda datang\n",
            "teks option ganda",
        ),
        ("warga/paspor.yml", "    answer: false\n", "", "harus punya answer: true atau false"),
        (
            "warga/paspor.yml",
            "    pool: pre\n",
            "    pool: post\n",
            "pool pre dan post tidak seimbang",
        ),
        (
            "warga/paspor.yml",
            "    type: single\n",
            "    type: esai\n",
            "type harus salah satu dari",
        ),
        (
            "warga/paspor.yml",
            "    lesson: apa-itu-paspor\n",
            "    lesson: tppo\n",
            "pelajaran tidak ada di jalur warga: tppo",
        ),
        (
            "warga/paspor.yml",
            "    citations: [PP 31/2013 Pasal 52 ayat (1)]\n",
            "    citations: [PP 31/2013 pasal 52]\n",
            "sitasi tidak mengikuti format",
        ),
        (
            "warga/paspor.yml",
            "  - key: warga-paspor-02\n",
            "  - key: warga-paspor-01\n",
            "key sudah dipakai",
        ),
    ],
)
def test_each_kind_of_bad_question_is_refused(content, name, old, new, expected):
    _questions, problems = check(content)
    assert problems == []
    _replace(content, name, old, new)
    _questions, problems = check(content)
    hits = [str(p) for p in problems if expected in p.message]
    assert hits, [str(p) for p in problems]
    assert all(h.startswith(str(content / "questions" / name) + ":") for h in hits)
