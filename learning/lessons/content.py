"""Lesson files: parsing with line numbers, hashing, Markdown rendering, cards (no database)."""

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import nh3
import yaml
from markdown_it import MarkdownIt

from learning.core.citations import CITATION_RE
from learning.core.versions import content_hash

FIELDS = (
    "slug",
    "track",
    "order",
    "title",
    "summary",
    "audience",
    "topic",
    "minutes",
    "key_points",
    "sources",
)
OPTIONAL = ("illustration", "read_aloud", "requires_reread")
VILLAGER_TOPICS = ("paspor", "kerja-luar-negeri", "tppo", "tppm", "pelaporan")
FILE_NAME_RE = re.compile(r"^(?P<order>\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md$")


class ContentError(ValueError):
    """A content file cannot be read at all; carries its line."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


@dataclass
class LessonFile:
    path: Path
    meta: dict
    body: str
    body_line: int  # line of the file where the body starts
    lines: dict[str, int] = field(default_factory=dict)  # front-matter key -> line

    def get(self, key, default=None):
        return self.meta.get(key, default)

    @property
    def content(self) -> dict:
        return lesson_content(self.meta, self.body)

    @property
    def content_hash(self) -> str:
        return content_hash(self.content)


def lesson_content(meta: dict, body: str) -> dict:
    """The fields that make a version: same content, same hash, on any machine."""
    data = {key: meta.get(key) for key in FIELDS + OPTIONAL if key != "requires_reread"}
    data["body"] = body.strip()
    return data


def parse_lesson_file(path: Path) -> LessonFile:
    """Read a lesson file's front matter (with line numbers) and body."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentError(1, "berkas harus diawali front matter '---'")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ContentError(1, "front matter tidak ditutup dengan '---'") from None
    front = "\n".join(lines[1:end])
    try:
        node = yaml.compose(front)
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError((mark.line + 2) if mark else 1, f"YAML tidak sah: {exc}") from None
    if not isinstance(meta, dict):
        raise ContentError(2, "front matter harus berisi pasangan kunci: nilai")
    key_lines = {}
    if node is not None:
        for key_node, _value in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 2
    return LessonFile(path, meta, "\n".join(lines[end + 1 :]), end + 2, key_lines)


_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
)
ALLOWED_TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "blockquote",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
    "cite",
    "small",
}
_LESSON_LINK = re.compile(r'href="lesson:([a-z0-9-]+)"')


# A parenthesised citation in rendered HTML text, such as "(UU 6/2011 Pasal 24 ayat (4))".
_HTML_CITATION = re.compile(r"\((?:[^()<>]|\([^()<>]*\))*\)")


def _small_citations(rendered: str) -> str:
    return _HTML_CITATION.sub(
        lambda m: (
            f'<small class="citation">{m.group(0)}</small>'
            if CITATION_RE.search(m.group(0))
            else m.group(0)
        ),
        rendered,
    )


def render_markdown(text: str, lesson_url=lambda slug: f"#{slug}") -> str:
    """Render lesson Markdown to sanitised HTML; `lesson:<slug>` links become lesson URLs.

    Citations in parentheses are set in small type: what to do first, the law beside it.
    """
    raw = _md.render(text or "")
    raw = _LESSON_LINK.sub(lambda m: f'href="{html.escape(lesson_url(m.group(1)))}"', raw)
    return nh3.clean(
        _small_citations(raw),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"style"}, "td": {"style"}, "small": {"class"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
    )


_CITATION_GROUP = re.compile(r"\s*\((?:[^()]|\([^()]*\))*\)")


def spoken_text(markdown_text: str) -> str:
    """Plain text to read aloud: no markup, no citations in parentheses."""
    without_citations = _CITATION_GROUP.sub(
        lambda m: "" if CITATION_RE.search(m.group(0)) else m.group(0), markdown_text
    )
    plain = nh3.clean(_md.render(without_citations), tags=set())
    return re.sub(r"\s+", " ", html.unescape(plain)).strip()


@dataclass
class Card:
    heading: str
    markdown: str


def split_cards(body: str) -> list[Card]:
    """Split a villager lesson body into cards, one per `## ` heading."""
    cards: list[Card] = []
    for line in body.strip().split("\n"):
        if line.startswith("## "):
            cards.append(Card(line[3:].strip(), ""))
        elif cards:
            cards[-1].markdown += line + "\n"
        elif line.strip():
            cards.append(Card("", line + "\n"))
    return cards


def lesson_paths(content_dir: Path) -> list[Path]:
    """Return every lesson file under content/lessons/<track>/, sorted."""
    return sorted((content_dir / "lessons").glob("*/*.md"))


def read_tracks(content_dir: Path) -> dict[str, dict]:
    """Return the tracks of content/tracks.yml."""
    return yaml.safe_load((content_dir / "tracks.yml").read_text(encoding="utf-8")) or {}


def lesson_file_text(meta: dict, body: str) -> str:
    """Write a lesson file: front matter in the field order of FORMAT.md, then the body."""
    ordered = {
        key: meta[key] for key in FIELDS + OPTIONAL if meta.get(key) not in (None, "", False)
    }
    front = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{front}---\n\n{body.strip()}\n"
