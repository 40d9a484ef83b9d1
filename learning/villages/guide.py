"""The in-app guide ("Panduan") for officers and admins: Markdown pages in content/panduan/.

Each page starts with front matter (title, order, audience: officer | admin | all) and may
show screenshots of the real pages from static/img/panduan/ (made by
content/panduan/make_screenshots.py from the demo data).
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nh3
import yaml
from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user
from markdown_it import MarkdownIt

from learning.accounts.decorators import ALL_STAFF
from learning.core.access import Role, role_required
from learning.lessons.content import ALLOWED_TAGS

bp = Blueprint("guide", __name__, url_prefix="/panduan")

_md = MarkdownIt("commonmark", {"html": False}).enable("table")
_SLUG = re.compile(r"^[a-z0-9-]+$")
TAGS = ALLOWED_TAGS | {"img"}  # the lessons' tags, and screenshots


@dataclass(frozen=True)
class GuidePage:
    slug: str
    title: str
    order: int
    audience: str  # officer | admin | all
    html: str

    def is_for(self, role: Role) -> bool:
        return self.audience == "all" or role == Role.ADMIN or self.audience == role.value


def render_guide(text: str) -> str:
    """Markdown to safe HTML; images only from this app's own static folder."""
    html = nh3.clean(
        _md.render(text),
        tags=TAGS,
        attributes={"a": {"href"}, "img": {"src", "alt", "width", "height", "loading"}},
        url_schemes={"http", "https"},
        link_rel=None,
    )
    html = re.sub(r'<img(?![^>]*\ssrc="/static/(?![^"]*\.\.)[^"]*")[^>]*>', "", html)
    return html.replace("<img ", '<img loading="lazy" ')


@lru_cache(maxsize=4)
def _read_pages(directory: str, _mtime: float) -> tuple[GuidePage, ...]:
    pages = []
    for path in sorted(Path(directory).glob("*.md")):
        head, _sep, body = (
            path.read_text(encoding="utf-8").removeprefix("---\n").partition("\n---\n")
        )
        meta = yaml.safe_load(head) or {}
        slug = path.stem.split("-", 1)[-1] if path.stem[:2].isdigit() else path.stem
        pages.append(
            GuidePage(
                slug,
                meta["title"],
                int(meta.get("order", 99)),
                meta.get("audience", "all"),
                render_guide(body),
            )
        )
    return tuple(sorted(pages, key=lambda p: (p.order, p.slug)))


def guide_pages() -> tuple[GuidePage, ...]:
    directory = Path(current_app.config["CONTENT_DIR"]) / "panduan"
    if not directory.is_dir():
        return ()
    mtime = max((p.stat().st_mtime for p in directory.glob("*.md")), default=0.0)
    return _read_pages(str(directory), mtime)


@bp.route("/")
@role_required(*ALL_STAFF)
def index():
    pages = [p for p in guide_pages() if p.is_for(current_user.role)]
    return render_template("guide/index.html", pages=pages)


@bp.route("/<slug>")
@role_required(*ALL_STAFF)
def page(slug):
    pages = [p for p in guide_pages() if p.is_for(current_user.role)]
    found = next((p for p in pages if p.slug == slug), None) if _SLUG.match(slug) else None
    if found is None:
        abort(404)
    index = pages.index(found)
    return render_template(
        "guide/page.html",
        page=found,
        previous=pages[index - 1] if index else None,
        following=pages[index + 1] if index + 1 < len(pages) else None,
    )
