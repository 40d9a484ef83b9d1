"""The content validator for lesson files: every fault as `file:line: message` (no database)."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from learning.core.citations import LOOSE_AYAT_RE, find_citations, parse_citation
from learning.lessons.content import (
    FIELDS,
    FILE_NAME_RE,
    VILLAGER_TOPICS,
    ContentError,
    LessonFile,
    lesson_paths,
    parse_lesson_file,
    split_cards,
)
from learning.lessons.rules import (
    MAX_AVERAGE_WORDS,
    MAX_SENTENCE_WORDS,
    readability,
    unexplained_terms,
)

MINUTES = {"officer": (5, 15), "villager": (2, 4)}
CARDS = (2, 8)


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def check_citation_list(citations, instruments: dict, report, line: int) -> list[str]:
    """Check a list of citations against the grammar and the registry; return the valid ones."""
    valid = []
    if not isinstance(citations, list) or not citations:
        report(line, "paling sedikit satu sumber hukum (daftar sitasi) wajib ada")
        return valid
    seen = set()
    for text in citations:
        citation = parse_citation(str(text))
        if citation is None:
            report(line, f"sitasi tidak mengikuti format: {text!r} (lihat content/FORMAT.md)")
        elif citation.instrument not in instruments:
            report(line, f"peraturan tidak ada di instruments.yml: {citation.instrument}")
        elif citation.text in seen:
            report(line, f"sitasi ganda: {citation.text}")
        else:
            seen.add(citation.text)
            valid.append(citation.text)
    return valid


def _line_of(lesson: LessonFile, offset: int) -> int:
    return lesson.body_line + lesson.body.count("\n", 0, offset)


def check_lesson(lesson: LessonFile, ctx: dict) -> list[Problem]:
    """Check one parsed lesson file."""
    problems: list[Problem] = []

    def report(line, message):
        problems.append(Problem(lesson.path, line, message))

    meta, line = lesson.meta, lesson.lines.get
    for key in FIELDS:
        if meta.get(key) in (None, "", []):
            report(1, f"kolom wajib tidak ada atau kosong: {key}")
    unknown = set(meta) - set(FIELDS) - {"illustration", "read_aloud", "requires_reread"}
    for key in sorted(unknown):
        report(line(key, 1), f"kolom tidak dikenal: {key}")
    name = FILE_NAME_RE.match(lesson.path.name)
    if not name:
        report(1, "nama berkas harus NN-<slug>.md")
    else:
        if meta.get("slug") != name["slug"]:
            report(line("slug", 1), f"slug harus sama dengan nama berkas: {name['slug']}")
        if meta.get("order") != int(name["order"]):
            report(line("order", 1), f"order harus {int(name['order'])} sesuai nama berkas")
    track = lesson.path.parent.name
    tracks = ctx["tracks"]
    if track not in tracks:
        report(1, f"folder jalur tidak dikenal: {track}")
        return problems
    if meta.get("track") != track:
        report(line("track", 1), f"track harus {track} sesuai foldernya")
    audience = tracks[track]["audience"]
    if meta.get("audience") != audience:
        report(line("audience", 1), f"audience jalur {track} adalah {audience}")
    topic = meta.get("topic")
    if audience == "villager" and topic not in VILLAGER_TOPICS:
        report(line("topic", 1), f"topik warga harus salah satu dari: {', '.join(VILLAGER_TOPICS)}")
    if audience == "officer" and topic != meta.get("slug"):
        report(line("topic", 1), "topik pelajaran petugas sama dengan slug-nya")
    low, high = MINUTES.get(audience, (1, 60))
    minutes = meta.get("minutes")
    if not isinstance(minutes, int) or not low <= minutes <= high:
        report(line("minutes", 1), f"minutes harus bilangan bulat {low} sampai {high}")
    points = meta.get("key_points")
    if (
        not isinstance(points, list)
        or not 3 <= len(points) <= 6
        or not all(isinstance(p, str) and p.strip() for p in points)
    ):
        report(line("key_points", 1), "key_points harus 3 sampai 6 baris teks")
    sources = check_citation_list(
        meta.get("sources"), ctx["instruments"], report, line("sources", 1)
    )
    illustration = meta.get("illustration")
    if illustration and not (ctx["static_dir"] / str(illustration)).is_file():
        report(line("illustration", 1), f"ilustrasi tidak ditemukan di static/: {illustration}")
    _check_body(lesson, ctx, set(sources), report)
    if audience == "villager":
        _check_villager_text(lesson, ctx, report)
    return problems


def _check_body(lesson: LessonFile, ctx: dict, sources: set[str], report) -> None:
    text = lesson.body
    used = set()
    for offset, citation in find_citations(text):
        used.add(citation.text)
        if citation.instrument not in ctx["instruments"]:
            report(
                _line_of(lesson, offset),
                f"peraturan tidak ada di instruments.yml: {citation.instrument}",
            )
        elif citation.text not in sources:
            report(
                _line_of(lesson, offset),
                f"sitasi di teks tidak tercantum di sources: {citation.text}",
            )
    for match in LOOSE_AYAT_RE.finditer(text):
        report(_line_of(lesson, match.start()), f"tulis ayat sebagai 'ayat (n)': {match.group(0)}")
    extra = " ".join([str(lesson.get("summary", "")), *map(str, lesson.get("key_points") or [])])
    used |= {c.text for _o, c in find_citations(extra)}
    for source in sorted(sources - used):
        report(lesson.lines.get("sources", 1), f"sumber tidak dipakai di teks: {source}")
    for offset in _lesson_links(text):
        slug = text[offset:].split(")", 1)[0]
        if slug not in ctx["slugs"]:
            report(_line_of(lesson, offset), f"tautan ke pelajaran yang tidak ada: lesson:{slug}")
    if not text.strip():
        report(lesson.body_line, "isi pelajaran kosong")


def _lesson_links(text: str):
    start = 0
    while (index := text.find("](lesson:", start)) >= 0:
        yield index + len("](lesson:")
        start = index + 1


def _check_villager_text(lesson: LessonFile, ctx: dict, report) -> None:
    cards = split_cards(lesson.body)
    if not CARDS[0] <= len(cards) <= CARDS[1] or any(not c.heading for c in cards):
        report(
            lesson.body_line,
            f"pelajaran warga dibagi {CARDS[0]}-{CARDS[1]} kartu, tiap kartu diawali '## '",
        )
    measured = readability(lesson.body)
    if measured.average_words > MAX_AVERAGE_WORDS:
        report(
            lesson.body_line,
            f"rata-rata kalimat {measured.average_words:.1f} kata (maks {MAX_AVERAGE_WORDS})",
        )
    if measured.longest_words > MAX_SENTENCE_WORDS:
        offset = max(lesson.body.find(measured.longest[:40]), 0)
        report(
            _line_of(lesson, offset),
            f"kalimat {measured.longest_words} kata (maks {MAX_SENTENCE_WORDS}): "
            f"{measured.longest[:60]}...",
        )
    for term, offset in unexplained_terms(lesson.body, list(ctx["glossary"])):
        report(_line_of(lesson, offset), f"istilah '{term}' belum dijelaskan saat pertama muncul")


def load_context(content_dir: Path, static_dir: Path) -> dict:
    """Read what the checks compare against: tracks, instruments, glossary, lesson slugs."""
    from learning.core.registry import read_instruments
    from learning.lessons.content import read_tracks

    glossary_path = content_dir / "glossary.yml"
    glossary = (
        yaml.safe_load(glossary_path.read_text(encoding="utf-8")) if glossary_path.exists() else {}
    )
    return {
        "tracks": read_tracks(content_dir),
        "instruments": read_instruments(content_dir / "instruments.yml"),
        "glossary": glossary or {},
        "static_dir": static_dir,
        "slugs": {p.name[3:-3] for p in lesson_paths(content_dir)},
    }


def check_lessons(content_dir: Path, static_dir: Path) -> tuple[list[LessonFile], list[Problem]]:
    """Parse and check every lesson file; return the parsed files and all problems."""
    ctx = load_context(content_dir, static_dir)
    lessons, problems = [], []
    seen: dict[str, Path] = {}
    for path in lesson_paths(content_dir):
        try:
            lesson = parse_lesson_file(path)
        except ContentError as exc:
            problems.append(Problem(path, exc.line, str(exc)))
            continue
        problems += check_lesson(lesson, ctx)
        slug = lesson.get("slug")
        if slug in seen:
            problems.append(
                Problem(path, lesson.lines.get("slug", 1), f"slug sudah dipakai di {seen[slug]}")
            )
        seen[slug] = path
        lessons.append(lesson)
    return lessons, problems
