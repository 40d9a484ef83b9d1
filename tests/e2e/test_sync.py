"""A field laptop's event reaches the office: registered, enrolled, exported, uploaded, merged.

The journey, in Chromium: an admin registers a field laptop for an officer and reads its
one-time code; the laptop (an app of its own, with its own SQLite database, served on another
port) enrols with it over HTTP and pulls; the officer signs in on the laptop with the password
she has at the office, and downloads her event's bundle with the event page's button; the admin
uploads it, then a changed copy (refused, nothing written), then a second laptop's version of
the same scheduled event (a conflict), and resolves the conflict side by side.

The villagers' registrations and answers on the laptops go through the real services in process
(the kiosk journey is tested in test_kiosk.py).
"""

import random
import re
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from tests.conftest import make_test_app
from tests.e2e.support import DESKTOP, TABLET, LiveServer, log_in, no_horizontal_scroll
from tests.sync.conftest import Laptop, hold_event

pytestmark = pytest.mark.e2e

PEMBENGIS = "15.06.11.2004"
ADMIN = "admin.sinkron"
OFFICERS = {"nurul.lapangan": "Nurul Aini", "yusuf.lapangan": "Yusuf Maulana"}


@pytest.fixture
def laptops(live_server: LiveServer):
    """Two fresh laptops (setup run as on a new machine), removed afterwards."""
    from learning.cli import run_setup
    from learning.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="sadar-e2e-laptops-"))
    made = []
    for name in ("laptop-lapangan-1", "laptop-lapangan-2"):
        app = make_test_app(
            f"sqlite:///{folder / name}.db", folder / name, DEVICE_ID=name, TESTING=False
        )
        app.config.update(WTF_CSRF_ENABLED=True, SYNC_DIR=str(folder / name / "sync"))
        with app.app_context():
            run_setup(echo=lambda *_: None)
            db.session.remove()
        made.append(Laptop(name, app))
    yield made
    for laptop in made:
        with laptop.app.app_context():
            db.engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)


def schedule(live_server: LiveServer, usernames: list[str]):
    from learning.accounts.services import get_user_by_username
    from learning.core.database import write_intent
    from learning.events import services
    from learning.extensions import db

    with live_server.app.app_context(), write_intent():
        admin = get_user_by_username(ADMIN)
        event = services.create_event(
            title="Sosialisasi Paspor Desa Pembengis",
            village_code=PEMBENGIS,
            held_on=__import__("datetime").date.today(),
            place="Balai Desa Pembengis",
            officer_ids=[get_user_by_username(u).id for u in usernames],
            lesson_slugs=["apa-itu-paspor", "apa-itu-tppo"],
            actor=admin,
        )
        db.session.commit()
        return event.id


def register_laptop(page: Page, name: str, officer_name: str, shot) -> str:
    """Register a laptop on the sync page; return the one-time code it shows."""
    page.goto("/sync/")
    page.get_by_label("Nama laptop").fill(name)
    page.get_by_label(officer_name, exact=True).check()
    page.get_by_role("button", name="Daftarkan laptop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kode pendaftaran laptop")
    shot(page, f"code-{name}")
    no_horizontal_scroll(page)
    command = page.locator("pre code").inner_text()
    return re.search(r"--code (\S+)", command).group(1)


def enrol(laptop: Laptop, live_server: LiveServer, code: str, officer: str) -> None:
    from learning.accounts.services import get_user_by_username
    from learning.core.database import write_intent
    from learning.extensions import db
    from learning.sync import client

    with laptop.context(), write_intent():
        client.enrol(live_server.url, code)
        client.fetch()
        db.session.commit()
        laptop.officer_id = get_user_by_username(officer).id


def upload(page: Page, path: Path) -> None:
    page.goto("/sync/")
    page.get_by_label("Berkas bundel (.sadar)").set_input_files(str(path))
    page.get_by_role("button", name="Impor bundel").click()


def test_a_laptops_event_is_uploaded_merged_and_its_conflict_resolved(
    live_server: LiveServer, laptops, page: Page, browser, shot, accessible, tmp_path
):
    live_server.create_user(ADMIN, "sandi-sinkron-2024", role="admin", display_name="Admin Sinkron")
    for username, name in OFFICERS.items():
        live_server.create_user(username, f"sandi-{username}-2024", display_name=name)
    event_id = schedule(live_server, list(OFFICERS))
    page.goto("/accounts/login")
    log_in(page, ADMIN, "sandi-sinkron-2024")

    first, second = laptops
    for laptop, (username, name) in zip(laptops, OFFICERS.items(), strict=True):
        code = register_laptop(page, laptop.name, name, shot)
        enrol(laptop, live_server, code, username)
    page.goto("/sync/")
    expect(page.get_by_role("cell", name="Terdaftar")).to_have_count(2)
    accessible(page, "sync-index")
    no_horizontal_scroll(page)

    rng = random.Random(2026)
    hold_event(first, rng, event_id=event_id, villagers=4)
    hold_event(second, rng, event_id=event_id, villagers=2)

    # The officer signs in on the laptop with her office password and downloads the bundle.
    server = make_server("127.0.0.1", 0, first.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        laptop_page = browser.new_page(viewport=TABLET, locale="id-ID", bypass_csp=True)
        laptop_url = f"http://127.0.0.1:{server.server_port}"
        laptop_page.goto(laptop_url + "/accounts/login")
        log_in(laptop_page, "nurul.lapangan", "sandi-nurul.lapangan-2024")
        laptop_page.goto(f"{laptop_url}/events/{event_id}")
        expect(laptop_page.get_by_role("heading", level=1)).to_have_text(
            "Sosialisasi Paspor Desa Pembengis"
        )
        shot(laptop_page, "laptop-event-page")
        no_horizontal_scroll(laptop_page)
        with laptop_page.expect_download() as download_info:
            laptop_page.get_by_role("button", name="Buat bundel untuk kantor").click()
        bundle_path = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(bundle_path)
        laptop_page.close()
    finally:
        server.shutdown()
    assert bundle_path.suffix == ".sadar"

    upload(page, bundle_path)
    expect(page.locator(".flash-success")).to_contain_text("catatan baru")
    expect(page.locator(".flash-success")).to_contain_text("0 konflik")
    shot(page, "uploaded")

    changed = tmp_path / "berubah.sadar"
    data = bundle_path.read_bytes()
    changed.write_bytes(data[:-100] + bytes([data[-100] ^ 1]) + data[-99:])
    upload(page, changed)
    expect(page.get_by_text("Tanda tangan bundel tidak sah")).to_be_visible()
    shot(page, "refused")

    other = tmp_path / "laptop-2.sadar"
    other.write_bytes(second.export(event_id))
    upload(page, other)
    expect(page.locator(".flash-warning")).to_contain_text("1 konflik")
    page.get_by_role("link", name=re.compile("konflik menunggu keputusan")).click()
    page.get_by_role("link", name="Sosialisasi Paspor Desa Pembengis").click()
    page.set_viewport_size(DESKTOP)
    expect(page.get_by_role("heading", name=re.compile("Versi 1"))).to_be_visible()
    expect(page.locator("mark", has_text="Ditutup").first).to_be_visible()
    shot(page, "conflict-desktop")
    accessible(page, "conflict")
    page.set_viewport_size(TABLET)
    shot(page, "conflict-tablet")
    no_horizontal_scroll(page)
    page.locator("section", has_text="laptop-lapangan-2").get_by_role(
        "button", name="Pakai versi ini"
    ).click()
    expect(page.locator(".flash-success")).to_contain_text("Konflik diselesaikan")
    shot(page, "resolved")
