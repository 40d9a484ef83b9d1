"""Make the screenshots of the in-app guide (content/panduan/*.md) from the demo data.

Run by hand, never in the tests or CI (it needs Chromium, loads the full region data and
takes about a minute), after a change to a page that the guide shows:

    apt-get install chromium chromium-l10n    # once; l10n: date fields in Indonesian
    .venv/bin/python content/panduan/make_screenshots.py

It builds a fresh SQLite database in a temporary folder (`setup`, then the demo data), gives
the first admin and the demo officer `demo-dewi` passwords it knows, serves the app on
127.0.0.1 and a free port, and drives Debian's Chromium (Playwright) as the admin, as the
officer, and as a kiosk tablet of an event; on the way the admin issues one certificate with a
written reason, and the kiosk registers one villager, "Warga Contoh (demo)", and drops its
connection for a moment. Field mode's page for tablets is served from an authority made in the
temporary folder. The JPEG files land in static/img/panduan/ (the old ones there are deleted
first); the total size is printed at the end. Nothing outside the temporary folder and that
image folder is touched. Every name shown is a demo name, marked "(demo)" or "[DEMO]"; the
event pages are cut above their list of participants.

Look at every image after a run: a page that changed may need a new clip below. To remake only
some pages' images (the others are kept): `make_screenshots.py sync` (admin, officer, field,
sync).
"""

import os
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "static" / "img" / "panduan"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
# Date fields and the file chooser in Indonesian, as on the office's tablets: Chromium takes
# its own language from the environment, and needs Debian's chromium-l10n for Indonesian.
CHROMIUM_ENV = {"LANGUAGE": "id", "LANG": "id_ID.UTF-8"}
CHROMIUM_LOCALE = Path("/usr/lib/chromium/locales/id.pak")
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 800, "height": 1280}
QUALITY = 70
# Playwright waits by evaluating scripts, which the app's Content-Security-Policy forbids.
BROWSER = {"device_scale_factor": 1, "bypass_csp": True}
SIZE_BUDGET = 1_700_000  # bytes, all images together

ADMIN = ("admin", "panduan-admin-2025")
OFFICER = ("demo-dewi", "panduan-petugas-2025")
PIN = "482915"
VILLAGER = "Warga Contoh (demo)"
# The addresses printed on certificates, posters and in QR codes (nothing is sent there): the
# office's server for the admin's pages (a reserved example name, as the guide says), a
# laptop's hotspot in field mode for the officer's event.
OFFICE_URL = "https://sadar-imigrasi.example"
FIELD_URL = "http://192.168.137.1:5000"
FIELD_HTTPS_URL = "https://192.168.137.1:5443"

# Demo villages (learning/villages/demo.py PLANS) and what each shows.
CERTIFIED = "15.06.11.2004"  # valid certificate; officer demo-dewi
ELIGIBLE = "15.05.02.1010"  # every criterion met, no certificate yet
UNDER_WAY = "15.06.11.2005"  # designated, one event: issuing needs a written reason
UPCOMING = "15.06.02.2014"  # an event scheduled in two weeks; officer demo-dewi


def build_database(tmp: Path):
    """A fresh database with the bundled data and the demo; return the app and the ids."""
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'panduan.db'}"
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")
    os.environ["PUBLIC_URL"] = OFFICE_URL
    os.environ.pop("SECURE_COOKIES", None)
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from learning import create_app
    from learning.accounts.services import get_user_by_username
    from learning.cli import run_setup
    from learning.core.database import write_intent
    from learning.events.models import Event
    from learning.extensions import db
    from learning.field import tls
    from learning.villages.demo import load_demo
    from learning.villages.models import VillageCertificate

    app = create_app()
    # Field mode's page for the office's tablets: an authority of this temporary instance.
    app.config.update(FIELD_MODE=True, FIELD_HTTPS_URL=FIELD_HTTPS_URL)
    tls.ensure_ca(app.instance_path)
    with app.app_context():
        print("setup (memuat data wilayah, sekitar setengah menit)...")
        run_setup(echo=print)
        with write_intent():
            print("Data demo:", load_demo(actor_name="Data demo").describe())
            for username, password in (ADMIN, OFFICER):
                user = get_user_by_username(username)
                user.password_hash = generate_password_hash(password)
                user.must_change_password = False
            db.session.commit()
        certificate = db.session.scalars(
            select(VillageCertificate).where(
                VillageCertificate.village_code == CERTIFIED,
                VillageCertificate.revoked_at.is_(None),
            )
        ).one()
        events = list(db.session.scalars(select(Event).order_by(Event.held_on.desc())))
        upcoming = next(e for e in events if e.village_code == UPCOMING and e.status != "closed")
        past = next(e for e in events if e.village_code == CERTIFIED and e.status == "closed")
        ids = {
            "certificate": str(certificate.id),
            "token": certificate.verify_token,
            "upcoming": str(upcoming.id),
            "past": str(past.id),
        }
        db.session.remove()
    return app, ids


def serve(app):
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="panduan-server", daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_port}"


class Camera:
    """Saves JPEG screenshots and refuses the ones that show a login or an error page."""

    def __init__(self):
        self.saved: list[Path] = []

    @staticmethod
    def _check(page, name):
        page.wait_for_load_state("load")
        page.wait_for_function("Array.from(document.images).every(i => i.complete)")
        if "/accounts/login" in page.url or page.locator("section.error-page").count():
            raise RuntimeError(f"{name}: unexpected page {page.url} ({page.title()})")

    def page(self, page, name, full_page=False):
        self._check(page, name)
        path = OUT / f"{name}.jpg"
        page.screenshot(path=str(path), type="jpeg", quality=QUALITY, full_page=full_page)
        self.saved.append(path)

    def element(self, page, locator, name):
        self._check(page, name)
        path = OUT / f"{name}.jpg"
        locator.screenshot(path=str(path), type="jpeg", quality=QUALITY)
        self.saved.append(path)

    def area(self, page, name, *, top=None, bottom=None, height=None, across=None, pad=16):
        """A part of the page: from the top of `top` (or of the page) to the bottom of `bottom`
        (or `height` pixels down), as wide as `across` (or the page); locators, with `pad`."""

        def box(locator):
            return locator.evaluate(
                "e => { const r = e.getBoundingClientRect();"
                " return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; }"
            )

        self._check(page, name)
        width = page.evaluate("document.documentElement.scrollWidth")
        y0 = max(0, box(top)["y"] - pad) if top is not None else 0
        if bottom is not None:
            b = box(bottom)
            y1 = b["y"] + b["h"] + pad
        else:
            y1 = y0 + (height or page.viewport_size["height"])
        x0, x1 = 0, width
        if across is not None:
            a = box(across)
            x0, x1 = max(0, a["x"] - pad), min(width, a["x"] + a["w"] + pad)
        path = OUT / f"{name}.jpg"
        clip = {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}
        page.screenshot(path=str(path), type="jpeg", quality=QUALITY, full_page=True, clip=clip)
        self.saved.append(path)


def log_in(page, base, username, password):
    page.goto(f"{base}/accounts/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda url: "/accounts/login" not in url)


def new_context(browser, viewport):
    return browser.new_context(
        viewport=viewport, locale="id-ID", timezone_id="Asia/Jakarta", **BROWSER
    )


def admin_pages(browser, base, ids, cam):
    page = new_context(browser, DESKTOP).new_page()
    log_in(page, base, *ADMIN)

    # 01: the office's home page, with the admin's menu.
    page.goto(f"{base}/accounts/manage/")
    cam.area(page, "admin-beranda", bottom=page.locator("main a.button").first)

    # 03: the dashboard: figures and charts; the list by progress; a filter applied.
    page.goto(f"{base}/villages/")
    cam.page(page, "dasbor-ringkasan")
    page.goto(f"{base}/villages/?urut=kemajuan")
    cam.area(page, "dasbor-daftar", top=page.locator("form.filters"), height=600)
    page.goto(f"{base}/villages/")
    page.get_by_label("Kabupaten/kota").select_option(value="15.06")
    page.get_by_label("Status", exact=True).select_option(label="Dalam pembinaan")
    page.get_by_role("button", name="Terapkan").click()
    page.wait_for_url(re.compile(r"status=dalam_pembinaan"))
    cam.area(page, "dasbor-saringan", top=page.locator("form.filters"), height=560)
    page.goto(f"{base}/villages/criteria")
    cam.element(page, page.locator("main"), "kriteria")

    # 04: a village whose criteria are all met: the table, then designation and certificate.
    page.goto(f"{base}/villages/{ELIGIBLE}")
    cam.area(page, "desa-kriteria", bottom=page.locator('section[aria-labelledby="kriteria"]'))
    page.get_by_text("Ubah penetapan").click()
    cam.element(page, page.locator("div.two-columns").first, "desa-penetapan-terbitkan")
    # A village still under way: issuing needs a written reason, which the audit log keeps.
    page.goto(f"{base}/villages/{UNDER_WAY}")
    page.get_by_label("Alasan menerbitkan walau belum semua kriteria terpenuhi").fill(
        "Contoh untuk panduan (demo): acara kedua sudah dijadwalkan bulan depan."
    )
    cam.element(page, page.locator('section[aria-labelledby="sertifikat"]'), "desa-pengecualian")
    page.get_by_role("button", name="Terbitkan sertifikat").click()
    page.wait_for_url(re.compile(r"/villages/certificates/"))
    page.goto(f"{base}/accounts/manage/audit")
    page.get_by_label("Jenis tindakan").select_option(label="Sertifikasi desa")
    page.get_by_role("button", name="Terapkan").click()
    page.wait_for_url(re.compile(r"jenis=sertifikasi"))
    cam.area(page, "audit-sertifikasi", height=620)

    # 05: settings, the printed certificate, the public check, revoking.
    page.goto(f"{base}/villages/certificate-settings")
    cam.element(page, page.locator("main"), "pengaturan-sertifikat")
    page.goto(f"{base}/villages/certificates/{ids['certificate']}")
    cam.area(page, "sertifikat-cetak", bottom=page.locator("main"), across=page.locator("main"))
    page.goto(f"{base}/verify/{ids['token']}")
    cam.element(page, page.locator("main"), "verifikasi")
    page.goto(f"{base}/villages/{CERTIFIED}")
    page.get_by_text("Cabut sertifikat ini").click()
    cam.element(page, page.locator('section[aria-labelledby="sertifikat"]'), "desa-cabut")
    page.context.close()


def officer_pages(browser, base, ids, cam):
    page = new_context(browser, DESKTOP).new_page()
    log_in(page, base, *OFFICER)

    # 01: the officer's menu.
    cam.element(page, page.locator("header.office-header"), "menu-petugas")

    # 06: my villages, and all my events.
    page.goto(f"{base}/villages/mine")
    cam.page(page, "desa-binaan-saya")
    page.goto(f"{base}/events/")
    cam.area(page, "acara-daftar", height=560)

    # 02: scheduling, the poster, the kiosk PIN, the report of an event held.
    page.goto(f"{base}/events/new")
    cam.area(page, "acara-jadwalkan", bottom=page.locator("main form"))
    page.goto(f"{base}/events/{ids['upcoming']}/poster")
    cam.element(page, page.locator("section.poster"), "acara-poster")
    page.goto(f"{base}/accounts/pin")
    page.get_by_label("PIN kios (6 angka)").fill(PIN)
    page.get_by_role("button", name="Simpan PIN").click()
    page.wait_for_url(lambda url: "/accounts/pin" not in url)
    page.goto(f"{base}/events/{ids['past']}/report")
    cam.page(page, "berita-acara")

    # 02: a tablet of the office becomes the event's kiosk.
    tablet = new_context(browser, TABLET)
    kiosk = tablet.new_page()
    log_in(kiosk, base, *OFFICER)
    kiosk.goto(f"{base}/events/{ids['upcoming']}")
    kiosk.get_by_label("Nama tablet").fill("Tablet 1")
    kiosk.get_by_role("button", name="Jadikan tablet ini kios").click()
    kiosk.wait_for_url(re.compile(r"/kiosk/$"))
    cam.page(kiosk, "kios-selamat-datang")

    # 07: a villager starts; the connection drops during the pre-test.
    kiosk.get_by_role("link", name="Mulai", exact=True).click()
    kiosk.get_by_label("Saya sudah membaca dan setuju").check()
    kiosk.get_by_role("button", name="Setuju dan lanjut").click()
    kiosk.get_by_label("Nama", exact=True).fill(VILLAGER)
    kiosk.get_by_label("26 sampai 35 tahun").check()
    kiosk.get_by_label("Perempuan", exact=True).check()
    kiosk.get_by_role("button", name="Daftar", exact=True).click()
    kiosk.get_by_role("link", name="Lanjut", exact=True).click()
    kiosk.get_by_role("button", name="Mulai tes awal").click()
    kiosk.wait_for_url(re.compile(r"/quizzes/attempts/.+/1$"))
    kiosk.wait_for_selector("form.question-card .save-status", state="attached")
    tablet.set_offline(True)
    for _question in range(2):
        kiosk.locator("label.choice").first.click()
        kiosk.get_by_role("button", name="Simpan jawaban dan lanjut").click()
        kiosk.wait_for_timeout(400)
    kiosk.locator(".save-status", has_text="Menunggu koneksi").wait_for()
    cam.area(kiosk, "kios-menunggu-koneksi", bottom=kiosk.locator("form.question-card"))
    tablet.set_offline(False)
    kiosk.wait_for_function(
        "JSON.parse(localStorage.getItem('sadar-outbox-v1') || '[]').length === 0",
        timeout=30_000,
    )

    # 02: the villager calls an officer; the officer's event page shows it.
    kiosk.get_by_role("button", name="Panggil petugas").click()
    kiosk.wait_for_load_state("load")
    page.goto(f"{base}/events/{ids['upcoming']}")
    page.locator(".help-calls").wait_for()
    kiosk_section = page.locator("section", has=page.get_by_role("heading", name="Jadikan"))
    cam.area(page, "acara-halaman", bottom=kiosk_section)

    # The officer leaves the kiosk mode with the PIN.
    kiosk.get_by_role("link", name="Petugas: keluar dari kios").click()
    kiosk.get_by_label("PIN petugas").fill(PIN)
    kiosk.get_by_role("button", name="Keluar dari mode kios").click()
    kiosk.wait_for_url(re.compile(r"/events/"))
    tablet.close()
    page.context.close()


def field_page(browser, base, cam):
    """07: the page where an office tablet gets the laptop's authority (field mode)."""
    page = new_context(browser, DESKTOP).new_page()
    page.goto(f"{base}/field/")
    cam.area(page, "lapangan-tablet", bottom=page.locator("section.card").first)
    page.context.close()


def sync_pages(browser, base, cam):
    """08: registering a field laptop (its one-time code), and where bundles are imported."""
    page = new_context(browser, DESKTOP).new_page()
    log_in(page, base, *ADMIN)
    page.goto(f"{base}/sync/")
    page.get_by_label("Nama laptop").fill("Laptop lapangan 1 (demo)")
    page.get_by_label(re.compile("Dewi")).check()
    page.get_by_role("button", name="Daftarkan laptop").click()
    cam.element(page, page.locator("main"), "laptop-kode")
    page.goto(f"{base}/sync/")
    cam.area(page, "laptop-impor", bottom=page.locator("table").last)
    page.context.close()


def main():
    """Make every image (the old ones deleted first), or only the groups named, e.g. `sync`."""
    from playwright.sync_api import sync_playwright

    only = set(sys.argv[1:])
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.jpg") if not only else ():
        old.unlink()
    tmp = Path(tempfile.mkdtemp(prefix="sadar-panduan-"))
    server = None
    try:
        app, ids = build_database(tmp)
        server, thread, base = serve(app)
        cam = Camera()
        with sync_playwright() as playwright:
            if not CHROMIUM_LOCALE.exists():
                print("PERINGATAN: tanggal tampil dalam format Inggris; pasang chromium-l10n.")
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, **CHROMIUM_ENV}
            )
            try:
                app.config["PUBLIC_URL"] = OFFICE_URL
                if not only or "admin" in only:
                    admin_pages(browser, base, ids, cam)
                if not only or "sync" in only:
                    sync_pages(browser, base, cam)
                app.config["PUBLIC_URL"] = FIELD_URL
                if not only or "officer" in only:
                    officer_pages(browser, base, ids, cam)
                if not only or "field" in only:
                    field_page(browser, base, cam)
            finally:
                browser.close()
        total = 0
        for path in cam.saved:
            size = path.stat().st_size
            total += size
            print(f"{path.relative_to(ROOT)}  {size / 1024:.0f} KB")
        print(f"{len(cam.saved)} gambar, {total / 1024:.0f} KB")
        if total > SIZE_BUDGET:
            print(f"PERINGATAN: lebih dari {SIZE_BUDGET / 1e6:.1f} MB; potong atau kecilkan.")
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
