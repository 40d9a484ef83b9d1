"""The in-app guide (content/panduan/*.md): who sees which page, and that its screenshots exist.

The pages are read here from the files themselves (front matter by hand), so that a page added
later is covered without anyone remembering, and the guide's own reader is checked against them.
"""

import re
from pathlib import Path

import pytest
import yaml

from learning.accounts.models import Role

ROOT = Path(__file__).resolve().parents[2]
GUIDE_DIR = ROOT / "content" / "panduan"
STATIC_DIR = ROOT / "static"
IMAGE_DIR = STATIC_DIR / "img" / "panduan"
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
HTML_IMAGE = re.compile(r'<img [^>]*src="([^"]+)"')


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path.name}: no front matter"
    head, _sep, _body = text.removeprefix("---\n").partition("\n---\n")
    return yaml.safe_load(head)


def _guide_files() -> list[dict]:
    """Each page as {slug, title, order, audience, images}, in the guide's order."""
    pages = []
    for path in sorted(GUIDE_DIR.glob("*.md")):
        meta = _front_matter(path)
        pages.append(
            {
                "slug": path.stem.split("-", 1)[1],
                "title": meta["title"],
                "order": int(meta["order"]),
                "audience": meta["audience"],
                "images": MARKDOWN_IMAGE.findall(path.read_text(encoding="utf-8")),
            }
        )
    return sorted(pages, key=lambda p: (p["order"], p["slug"]))


PAGES = _guide_files()
FOR_OFFICERS = [p for p in PAGES if p["audience"] in ("officer", "all")]
ADMIN_ONLY = [p for p in PAGES if p["audience"] == "admin"]


def _titles_in(html: str, pages: list[dict]) -> list[str]:
    """The titles of `pages` that the guide's list shows, in the order it shows them."""
    listing = html.split('<ol class="guide-list">', 1)[1].split("</ol>", 1)[0]
    found = [(listing.find(f">{p['title']}</a>"), p["title"]) for p in pages]
    return [title for position, title in sorted(found) if position >= 0]


def test_the_guide_has_its_pages_with_valid_front_matter():
    assert 5 <= len(PAGES) <= 8
    for page in PAGES:
        assert re.fullmatch(r"[a-z0-9-]+", page["slug"]), page["slug"]
        assert page["audience"] in ("officer", "admin", "all"), page
    assert FOR_OFFICERS and ADMIN_ONLY
    for path in GUIDE_DIR.glob("*.md"):
        assert re.fullmatch(r"\d\d-[a-z0-9-]+\.md", path.name), path.name


@pytest.mark.parametrize("guide", PAGES, ids=[p["slug"] for p in PAGES])
def test_every_page_renders_for_an_admin_with_all_its_screenshots(client, admin, login_as, guide):
    login_as(client, admin)
    response = client.get(f"/panduan/{guide['slug']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"<h1>{guide['title']}</h1>" in html
    article = html.split('<article class="guide">', 1)[1].split("</article>", 1)[0]
    shown = HTML_IMAGE.findall(article)
    # The sanitiser drops images from outside /static/: every one written must still be there.
    assert shown == guide["images"], guide["slug"]
    assert guide["images"], f"{guide['slug']} shows no screenshot"
    for src in shown:
        assert src.startswith("/static/img/panduan/"), src
        assert (STATIC_DIR / src.removeprefix("/static/")).is_file(), f"missing: {src}"
        assert client.get(src).status_code == 200


def test_every_screenshot_in_the_folder_is_used_by_a_page():
    used = {Path(src).name for page in PAGES for src in page["images"]}
    on_disk = {path.name for path in IMAGE_DIR.glob("*") if path.is_file()}
    assert on_disk - used == set(), "images no guide page shows"


def test_the_index_lists_every_page_in_order_for_an_admin(client, admin, login_as):
    login_as(client, admin)
    response = client.get("/panduan/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _titles_in(html, PAGES) == [p["title"] for p in PAGES]
    for page in PAGES:
        assert f'href="/panduan/{page["slug"]}"' in html


def test_an_officer_sees_only_the_officer_pages(client, officer, login_as):
    login_as(client, officer)
    html = client.get("/panduan/").get_data(as_text=True)
    assert _titles_in(html, PAGES) == [p["title"] for p in FOR_OFFICERS]
    for page in FOR_OFFICERS:
        assert client.get(f"/panduan/{page['slug']}").status_code == 200
    for page in ADMIN_ONLY:
        assert client.get(f"/panduan/{page['slug']}").status_code == 404


def test_the_guide_reader_agrees_with_the_files(app):
    from learning.villages.guide import guide_pages

    pages = guide_pages()
    assert [(p.slug, p.title, p.order, p.audience) for p in pages] == [
        (p["slug"], p["title"], p["order"], p["audience"]) for p in PAGES
    ]


def test_links_between_guide_pages_lead_to_pages_their_readers_may_open():
    audience = {p["slug"]: p["audience"] for p in PAGES}
    for path in GUIDE_DIR.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        readers = _front_matter(path)["audience"]
        for slug in re.findall(r"\]\(/panduan/([a-z0-9-]+)\)", text):
            assert slug in audience, f"{path.name} links to /panduan/{slug}"
            if readers != "admin":  # an officer following the link must not meet a 404
                assert audience[slug] != "admin", f"{path.name} links to admin page {slug}"


def test_nobody_but_staff_opens_the_guide(client, make_user, login_as):
    anonymous = client.get("/panduan/")
    assert anonymous.status_code == 302
    assert "/accounts/login" in anonymous.headers["Location"]
    assert client.get(f"/panduan/{PAGES[0]['slug']}").status_code == 302

    login_as(client, make_user(role=Role.VILLAGER, display_name="Warga Uji"))
    assert client.get("/panduan/").status_code == 403
    assert client.get(f"/panduan/{PAGES[0]['slug']}").status_code == 403
