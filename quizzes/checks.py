"""The content validator for question files: every fault as `file:line: message` (no database)."""

from collections import Counter
from pathlib import Path

import yaml

from learning.core.citations import find_citations
from learning.lessons.checks import Problem, check_citation_list
from learning.lessons.content import VILLAGER_TOPICS

TYPES = ("single", "multiple", "truefalse")
QUESTION_KEYS = {
    "key",
    "type",
    "difficulty",
    "pool",
    "lesson",
    "text",
    "options",
    "answer",
    "explanation",
    "citations",
    "illustration",
    "read_aloud",
}


def _lines(node) -> dict:
    """Map each key of a YAML mapping node to its 1-based line."""
    return {str(k.value): k.start_mark.line + 1 for k, _v in node.value} if node else {}


def question_paths(content_dir: Path) -> list[Path]:
    return sorted((content_dir / "questions").glob("*/*.yml"))


def check_question_files(
    content_dir: Path, ctx: dict, lessons: dict[str, dict]
) -> tuple[list[dict], list[Problem]]:
    """Parse and check every question file; `lessons` maps slug -> {track, topic}."""
    problems: list[Problem] = []
    questions: list[dict] = []
    keys: dict[str, str] = {}
    for path in question_paths(content_dir):
        text = path.read_text(encoding="utf-8")
        try:
            root = yaml.compose(text)
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(Problem(path, mark.line + 1 if mark else 1, f"YAML tidak sah: {exc}"))
            continue
        if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
            problems.append(
                Problem(path, 1, "berkas harus berisi track, topic dan daftar questions")
            )
            continue
        track, topic = data.get("track"), data.get("topic")
        if track != path.parent.name or track not in ctx["tracks"]:
            problems.append(Problem(path, 1, f"track harus {path.parent.name} sesuai foldernya"))
            continue
        audience = ctx["tracks"][track]["audience"]
        if topic != path.stem:
            problems.append(Problem(path, 1, f"topic harus {path.stem} sesuai nama berkas"))
        if audience == "villager" and topic not in VILLAGER_TOPICS:
            problems.append(Problem(path, 1, f"topik warga tidak dikenal: {topic}"))
        nodes = dict((str(k.value), v) for k, v in root.value)["questions"].value
        for item, node in zip(data["questions"], nodes, strict=True):
            lines = _lines(node)
            start = node.start_mark.line + 1

            def report(line, message, _path=path):
                problems.append(Problem(_path, line, message))

            if not isinstance(item, dict):
                report(start, "setiap soal harus berupa pasangan kunci: nilai")
                continue
            problems_before = len(problems)
            check_question(item, lines, start, audience, track, ctx, lessons, report)
            key = item.get("key")
            if key in keys:
                report(lines.get("key", start), f"key sudah dipakai di {keys[key]}")
            keys[str(key)] = f"{path}:{lines.get('key', start)}"
            if len(problems) == problems_before:
                questions.append(
                    {**item, "track": track, "topic": topic, "path": str(path), "line": start}
                )
    problems += _check_pools(questions, content_dir)
    return questions, problems


def check_question(item, lines, start, audience, track, ctx, lessons, report) -> None:
    """Check one question entry; `report(line, message)` receives each fault."""
    line = lambda key: lines.get(key, start)  # noqa: E731
    for key in sorted(set(item) - QUESTION_KEYS):
        report(line(key), f"kolom tidak dikenal: {key}")
    for key in ("key", "type", "difficulty", "lesson", "text", "explanation"):
        if item.get(key) in (None, ""):
            report(start, f"kolom wajib tidak ada atau kosong: {key}")
    kind = item.get("type")
    if kind not in TYPES:
        report(line("type"), f"type harus salah satu dari: {', '.join(TYPES)}")
    if item.get("difficulty") not in (1, 2, 3):
        report(line("difficulty"), "difficulty harus 1, 2 atau 3")
    lesson = lessons.get(item.get("lesson"))
    if lesson is None or lesson["track"] != track:
        report(line("lesson"), f"pelajaran tidak ada di jalur {track}: {item.get('lesson')}")
    if audience == "villager":
        if item.get("pool") not in ("pre", "post"):
            report(line("pool"), "soal warga harus punya pool: pre atau post")
    elif "pool" in item:
        report(line("pool"), "pool hanya untuk soal warga")
    valid = check_citation_list(
        item.get("citations"), ctx["instruments"], report, line("citations")
    )
    # A law named in passing ("menurut UU 18/2017") is a reference; a provision is a claim.
    cited = {
        c.text
        for _o, c in find_citations(str(item.get("explanation", "")))
        if c.pasal or c.lampiran
    }
    for text in sorted(cited - set(valid)):
        report(line("explanation"), f"sitasi di penjelasan tidak tercantum di citations: {text}")
    illustration = item.get("illustration")
    if illustration and not (ctx["static_dir"] / str(illustration)).is_file():
        report(line("illustration"), f"ilustrasi tidak ditemukan di static/: {illustration}")
    if kind == "truefalse":
        if not isinstance(item.get("answer"), bool):
            report(line("answer"), "soal benar/salah harus punya answer: true atau false")
        if "options" in item:
            report(line("options"), "soal benar/salah tidak memakai options")
        return
    if kind not in ("single", "multiple"):
        return
    options = item.get("options")
    if not isinstance(options, list) or not 2 <= len(options) <= 6:
        report(line("options"), "soal pilihan harus punya 2 sampai 6 options")
        return
    texts = [str(o.get("text", "")).strip() if isinstance(o, dict) else "" for o in options]
    if any(not t for t in texts):
        report(line("options"), "setiap option harus punya text")
    duplicates = [t for t, n in Counter(t.lower() for t in texts).items() if n > 1 and t]
    for text in duplicates:
        report(line("options"), f"teks option ganda: {text}")
    correct = sum(1 for o in options if isinstance(o, dict) and o.get("correct") is True)
    if kind == "single" and correct != 1:
        report(
            line("options"),
            f"soal pilihan tunggal harus punya tepat satu jawaban benar (ada {correct})",
        )
    if kind == "multiple" and correct < 1:
        report(line("options"), "soal pilihan ganda harus punya paling sedikit satu jawaban benar")
    if "answer" in item:
        report(
            line("answer"),
            "answer hanya untuk soal benar/salah; tandai option dengan correct: true",
        )


def _check_pools(questions: list[dict], content_dir: Path) -> list[Problem]:
    """The villager pre-test and post-test pools cover the same topics at the same difficulty."""
    counts = Counter(
        (q["topic"], q["difficulty"], q.get("pool")) for q in questions if q.get("pool")
    )
    problems = []
    for topic, difficulty in sorted({(t, d) for t, d, _p in counts}):
        pre, post = counts[(topic, difficulty, "pre")], counts[(topic, difficulty, "post")]
        if pre != post:
            problems.append(
                Problem(
                    content_dir / "questions" / "warga" / f"{topic}.yml",
                    1,
                    f"pool pre dan post tidak seimbang pada tingkat {difficulty}: "
                    f"{pre} lawan {post}",
                )
            )
    return problems
