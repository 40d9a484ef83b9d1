"""The office certifies a village: from "belum dibina" to a printed certificate anyone can check.

The issue's journey, in Chromium: an admin sees Desa Pembengis reach "memenuhi syarat", issues
the certificate, and opens the verification page from the QR's URL; then revokes it.

The data a village gathers over a year (a certified PIMPASA assigned to it, two events whose
lessons cover the five topics, 29 villagers with a pre-test and a passing post-test) is made
on the server through the app's own services; the 30th villager's post-test arrives during the
journey, through the same services a kiosk uses. The designation, the certificate settings,
the issue and the revocation are done in the browser.

The journey signs in an admin account of its own, not the first admin: this file's name sorts
before test_first_admin.py, which needs the first admin as `setup` left it.
"""

import datetime as dt
import re
import uuid

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect

from tests.e2e.support import DESKTOP, PHONE, TABLET, LiveServer, log_in

pytestmark = pytest.mark.e2e

PEMBENGIS = "15.06.11.2004"  # Kab. Tanjung Jabung Barat, in tests/data/regions/villages.csv
VILLAGE_LABEL = "Desa Pembengis, Kec. Bram Itam"
REGENCY = "15.06"
REGENCY_NAME = "Kabupaten Tanjung Jabung Barat"
ADMIN = "admin.desa"
OFFICER = "yuni.pimpasa"
OFFICER_NAME = "Yuni Kartika"
PASSED_BEFORE = 29  # one short of the default criterion (30 villagers passed the post-test)
DECREE_NUMBER = "W6.IMI.IMI.2-GR.01.01-0412"
SIGNATORY = "Rina Marlina, S.H., M.H."
NIP = "197805122003122001"
SIGNATORY_TITLE = "Kepala Kantor Imigrasi Kelas II TPI Kuala Tungkal"
REVOKE_REASON = "SK penetapan desa dibatalkan oleh Bupati; sertifikat ditarik kembali."
UNMET_MESSAGE = "Belum semua kriteria terpenuhi. Untuk tetap menerbitkan, tulis alasannya."
# Topics of the villagers' lessons (content/lessons/warga): the first event teaches the first
# two, the second the other three, so only both together cover the five required topics.
FIRST_EVENT_TOPICS = ("paspor", "kerja-luar-negeri")
FIRST_NAMES = ("Siti", "Ahmad", "Nurhayati", "Budi", "Rahmawati", "Hasan")
LAST_NAMES = ("Lubis", "Saragih", "Harahap", "Nasution", "Siregar")
AGE_GROUPS = ("18-25", "26-35", "36-45", "46-55", ">55")
GENDERS = ("perempuan", "laki-laki")


# ---- the live server's database ----------------------------------------------------------------


def answer_and_submit(attempt, right: int):
    """Answer every question of the attempt, the first `right` correctly, and submit it."""
    from quizzes import services as quizzes

    for n, version in enumerate(quizzes.item_versions(attempt)):
        wrong = sorted(o["id"] for o in version.options if not o.get("correct"))
        chosen = sorted(version.correct_ids) if n < right else wrong[:1]
        quizzes.save_answer(attempt, version.id, chosen, uuid.uuid4())
    return quizzes.submit_attempt(attempt)


def certify_officer_for_pembengis(live_server: LiveServer) -> None:
    """An officer reads every PIMPASA lesson, passes the final exam and is sent to Pembengis."""
    from learning.accounts.services import get_user_by_username, set_officer_villages
    from learning.core.database import write_intent
    from learning.extensions import db
    from learning.lessons import services as lessons
    from quizzes import services as quizzes
    from quizzes.certification import is_certified

    live_server.create_user(OFFICER, "sandi-yuni-2024", display_name=OFFICER_NAME)
    with live_server.app.app_context(), write_intent():
        officer = get_user_by_username(OFFICER)
        for lesson in lessons.list_lessons("pimpasa"):
            lessons.record_completion(officer, lesson)
        exam, _token = quizzes.start_attempt(officer, quizzes.get_quiz("ujian-akhir-pimpasa"))
        assert answer_and_submit(exam, right=len(exam.items)).passed
        assert is_certified(officer), "the exam passed but the officer is not certified"
        set_officer_villages(officer, [PEMBENGIS], actor=None)
        db.session.commit()


def villager_names(count: int) -> list[str]:
    """Distinct names (a repeated name would be flagged as a possible duplicate)."""
    names = [f"{first} {last}" for last in LAST_NAMES for first in FIRST_NAMES]
    assert count <= len(names), count
    return names[:count]


def passed_in_pembengis(live_server: LiveServer) -> int:
    """Villagers of Pembengis who passed a post-test, as the village's progress counts them."""
    from learning.core.database import write_intent
    from learning.extensions import db
    from learning.villages import progress
    from learning.villages.models import VillageProgress

    with live_server.app.app_context(), write_intent():
        progress.refresh_villages(db.session(), [PEMBENGIS])
        count = db.session.get(VillageProgress, PEMBENGIS).passed_villagers
        db.session.commit()
        return count


def hold_two_events_in_pembengis(live_server: LiveServer) -> str:
    """Two events in the last 12 months; 29 villagers of Pembengis pass; one more is on the way.

    Return the participation of the 30th villager, who has taken the pre-test only.
    """
    from learning.accounts.services import get_user_by_username
    from learning.core.database import write_intent
    from learning.core.time import today_local
    from learning.events import services as events
    from learning.extensions import db
    from learning.lessons import services as lessons

    # Another journey may have left passing villagers in Pembengis: top them up to 29.
    already = passed_in_pembengis(live_server)
    assert already < PASSED_BEFORE, f"Pembengis already counts {already} villagers passed"
    names = villager_names(PASSED_BEFORE - already + 1)
    with live_server.app.app_context(), write_intent():
        officer = get_user_by_username(OFFICER)
        warga = lessons.list_lessons("warga")
        first = [x.slug for x in warga if x.topic in FIRST_EVENT_TOPICS]
        second = [x.slug for x in warga if x.topic not in FIRST_EVENT_TOPICS]
        assert first and second, [x.topic for x in warga]
        today = today_local()
        held = []
        for days_ago, title, place, slugs in (
            (75, "Sosialisasi Paspor dan Kerja ke Luar Negeri", "Balai Desa Pembengis", first),
            (9, "Sosialisasi TPPO, TPPM dan Cara Melapor", "Masjid Al-Ikhlas Pembengis", second),
        ):
            event = events.create_event(
                title=title,
                village_code=PEMBENGIS,
                held_on=today - dt.timedelta(days=days_ago),
                place=place,
                officer_ids=[officer.id],
                lesson_slugs=slugs,
                actor=officer,
            )
            events.set_status(event, "open", officer)
            held.append(event)
        for n, name in enumerate(names):
            participation = events.register_villager(
                held[n % 2],
                events.Registration(
                    name=name,
                    village_code=PEMBENGIS,
                    age_group=AGE_GROUPS[n % len(AGE_GROUPS)],
                    gender=GENDERS[n % 2],
                ),
            )
            pretest, _token = events.start_test(participation, "pre")
            answer_and_submit(pretest, right=2 + n % 3)  # 20 to 40 of 100
            if name == names[-1]:
                last = participation  # the 30th: still reading the lessons
                continue
            posttest, _token = events.start_test(participation, "post")
            assert answer_and_submit(posttest, right=8 + n % 3).passed  # 80 to 100 of 100
        events.set_status(held[0], "closed", officer)  # the second is still open
        db.session.commit()
        return str(last.id)


def last_posttest_arrives(live_server: LiveServer, participation_id: str) -> None:
    """The 30th villager finishes the post-test, every answer right (as on a kiosk)."""
    from learning.core.database import write_intent
    from learning.events import services as events
    from learning.extensions import db

    with live_server.app.app_context(), write_intent():
        participation = events.get_participation(participation_id)
        posttest, _token = events.start_test(participation, "post")
        assert answer_and_submit(posttest, right=len(posttest.items)).passed
        db.session.commit()


def pembengis_certificate(live_server: LiveServer) -> dict:
    """The latest certificate of Pembengis, as the database holds it."""
    from learning.villages import services

    with live_server.app.app_context():
        certificate = services.latest_certificate(PEMBENGIS)
        assert certificate is not None, "no certificate for Pembengis in the database"
        return {
            "id": str(certificate.id),
            "number": certificate.number,
            "token": certificate.verify_token,
            "issued_on": certificate.issued_on,
            "valid_until": certificate.valid_until,
        }


# ---- the pages -----------------------------------------------------------------------------------


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def status_badge(page: Page):
    """The village's status, under the page's heading."""
    return page.locator("main .lead + p .status").first


def criterion_cells(page: Page, n: int):
    """The cells of criterion `n` (1 to 5) in the village page's criteria table."""
    return page.locator(".criteria-table tbody tr").nth(n - 1).get_by_role("cell")


def certificate_section(page: Page):
    return page.get_by_role("region", name="Sertifikat", exact=True)


def dashboard_row(page: Page):
    return page.get_by_role("row").filter(
        has=page.get_by_role("link", name=VILLAGE_LABEL, exact=True)
    )


def pages_in(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


A4_PX = {"width": 794, "height": 1123}  # 210 x 297 mm at 96 px an inch
CUT_OFF = """() => {
    const mm = (px) => Math.round(px * 25.4 / 96);
    const sheet = document.querySelector(".certificate").getBoundingClientRect();
    const bottom = Math.min(sheet.bottom, sheet.top + 297 * 96 / 25.4);
    const frame = document.querySelector(".certificate-frame");
    const parts = frame.querySelectorAll(":scope > *, .certificate-qr > *, .certificate-sign > *");
    return [frame, ...parts]
        .map((el) => [el, el.getBoundingClientRect()])
        .filter(([, box]) => box.height > 0 && box.bottom > bottom + 1)
        .map(([el, box]) => {
            const name = `${el.tagName.toLowerCase()}.${el.getAttribute("class") || "-"}`;
            const text = (el.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 40);
            return `${name} "${text}" ends ${mm(box.bottom - bottom)} mm below the A4 sheet`;
        });
}"""


def cut_off(page: Page) -> list[str]:
    """What of the certificate falls below its A4 sheet when printed (hidden, or on page 2).

    Measured as page.pdf lays it out: print media, and a viewport of an A4 page.
    """
    viewport = page.viewport_size
    page.set_viewport_size(A4_PX)
    page.emulate_media(media="print")
    try:
        return page.evaluate(CUT_OFF)
    finally:
        page.emulate_media(media="screen")
        page.set_viewport_size(viewport)


# ---- the journey ---------------------------------------------------------------------------------


def test_an_admin_certifies_a_village_that_meets_the_criteria_and_anyone_can_verify_it(
    live_server, page, new_context, shot, accessible, artifact_dir
):
    from learning.events.qr import qr_svg

    certify_officer_for_pembengis(live_server)
    last_villager = hold_two_events_in_pembengis(live_server)
    assert passed_in_pembengis(live_server) == PASSED_BEFORE
    live_server.create_user(
        ADMIN, "sandi-admin-desa-2024", role="admin", display_name="Hendra Gunawan"
    )
    decree_date = dt.date.today() - dt.timedelta(days=30)

    # The dashboard, filtered to Tanjung Jabung Barat: Pembengis is not yet in the programme.
    page.goto("/accounts/login")
    log_in(page, ADMIN, live_server.passwords[ADMIN])
    expect(heading(page)).to_have_text("Beranda kantor")
    page.get_by_role("navigation", name="Navigasi utama").get_by_role(
        "link", name="Desa", exact=True
    ).click()
    expect(heading(page)).to_have_text("Desa sadar hukum keimigrasian")
    page.get_by_label("Kabupaten/kota").select_option(REGENCY)
    page.get_by_role("button", name="Terapkan").click()
    expect(page).to_have_url(re.compile(rf"[?&]kabupaten={re.escape(REGENCY)}(&|$)"))
    expect(page.get_by_label("Kabupaten/kota")).to_have_value(REGENCY)
    villages = page.locator("main tbody tr").filter(has=page.locator("a[href*='/villages/']"))
    regencies = villages.locator("small").filter(has_text=" · ").all_inner_texts()
    assert regencies and all(r.startswith(REGENCY_NAME) for r in regencies), regencies
    row = dashboard_row(page)
    expect(row).to_have_count(1)
    expect(row.locator(".status")).to_have_text("Belum dibina")
    expect(row).to_contain_text(f"{PASSED_BEFORE} dari 30")
    shot(page, "dashboard")
    accessible(page, "dashboard")
    page.set_viewport_size(DESKTOP)
    shot(page, "dashboard-desktop")
    page.set_viewport_size(TABLET)

    # The village page: every criterion counted, but no decree yet.
    row.get_by_role("link", name=VILLAGE_LABEL, exact=True).click()
    expect(heading(page)).to_have_text(VILLAGE_LABEL)
    village_url = page.url
    expect(status_badge(page)).to_have_text("Belum dibina")
    expect(criterion_cells(page, 3).nth(1)).to_have_text(f"{PASSED_BEFORE} dari 30")
    shot(page, "village-before")
    accessible(page, "village-before")

    # Designation by decree: the village enters the programme, in progress (criterion 3 short).
    designation = page.get_by_role("region", name="Penetapan desa binaan")
    designation.get_by_label("Nomor SK penetapan desa binaan").fill(DECREE_NUMBER)
    designation.get_by_label("Tanggal SK").fill(decree_date.isoformat())
    designation.get_by_role("button", name="Simpan penetapan").click()
    expect(page.get_by_role("status")).to_have_text("Penetapan desa binaan disimpan.")
    expect(status_badge(page)).to_have_text("Dalam pembinaan")
    expect(designation).to_contain_text(
        f"SK nomor {DECREE_NUMBER} tanggal {format_date(decree_date, 'd MMMM y', locale='id')}."
    )
    for n in (1, 2, 4, 5):
        expect(criterion_cells(page, n).nth(3)).to_have_text("Ya")
    expect(criterion_cells(page, 3).nth(1)).to_have_text(f"{PASSED_BEFORE} dari 30")
    expect(criterion_cells(page, 3).nth(3)).to_have_text("Belum")
    shot(page, "village-designated")
    accessible(page, "village-designated")

    # The issue button is offered, but without a written reason the office refuses.
    certificates = certificate_section(page)
    expect(certificates.get_by_label("Alasan menerbitkan walau belum semua kriteria")).to_be_empty()
    certificates.get_by_role("button", name="Terbitkan sertifikat").click()
    shot(page, "village-issue-refused")
    # The answer itself says why (a redirect to the village page, or that page with a 400).
    expect(page.get_by_role("alert")).to_have_text(UNMET_MESSAGE)
    expect(heading(page)).to_have_text(VILLAGE_LABEL)
    expect(status_badge(page)).to_have_text("Dalam pembinaan")
    expect(certificates).to_contain_text("Belum ada sertifikat.")

    # The 30th villager's post-test arrives: the village meets every criterion.
    last_posttest_arrives(live_server, last_villager)
    page.goto(village_url)
    expect(status_badge(page)).to_have_text("Memenuhi syarat")
    expect(criterion_cells(page, 3).nth(1)).to_have_text("30 dari 30")
    for n in range(1, 6):
        expect(criterion_cells(page, n).nth(3)).to_have_text("Ya")
    expect(certificates).to_contain_text("Semua kriteria terpenuhi.")
    expect(
        certificates.get_by_label("Alasan menerbitkan walau belum semua kriteria")
    ).to_have_count(0)
    shot(page, "village-meets-criteria")

    # The certificate settings: who signs, and the number format as it comes.
    page.get_by_role("link", name="Kembali ke daftar desa").click()
    page.get_by_role("link", name="Pengaturan sertifikat").click()
    expect(heading(page)).to_have_text("Pengaturan sertifikat")
    page.get_by_label("Nama penandatangan").fill(SIGNATORY)
    page.get_by_label("NIP penandatangan").fill(NIP)
    page.get_by_label("Jabatan penandatangan").fill(SIGNATORY_TITLE)
    expect(page.get_by_label("Tempat penerbitan")).to_have_value("Kuala Tungkal")
    number_format = page.get_by_label("Format nomor sertifikat")
    expect(number_format).to_have_value("{nomor:03}/DSHK/KKT/{bulan_romawi}/{tahun}")
    page.get_by_role("button", name="Simpan pengaturan").click()
    expect(page.get_by_role("status")).to_have_text("Pengaturan sertifikat disimpan.")
    expect(page.get_by_label("NIP penandatangan")).to_have_value(NIP)
    expect(page.get_by_text(re.compile(r"^Contoh: 007/DSHK/KKT/[IVX]+/\d{4}$"))).to_be_visible()
    shot(page, "certificate-settings")
    accessible(page, "certificate-settings")

    # Issue: the printable certificate.
    page.goto(village_url)
    certificate_section(page).get_by_role("button", name="Terbitkan sertifikat").click()
    expect(page).to_have_url(re.compile(r"/villages/certificates/[0-9a-f-]{36}$"))
    issued = pembengis_certificate(live_server)
    assert page.url.endswith(issued["id"]), (page.url, issued)
    today = issued["issued_on"]
    assert re.fullmatch(rf"\d{{3}}/DSHK/KKT/[IVX]+/{today.year}", issued["number"]), issued
    expect(heading(page)).to_have_text("SERTIFIKAT")
    expect(page.locator(".certificate-number")).to_have_text(f"Nomor: {issued['number']}")
    expect(page.locator(".certificate-village")).to_have_text("Desa Pembengis")
    expect(page.locator(".certificate-sign")).to_contain_text(SIGNATORY)
    expect(page.locator(".certificate-sign")).to_contain_text(f"NIP {NIP}")
    expect(page.locator(".certificate-sign")).to_contain_text(SIGNATORY_TITLE)
    until = format_date(issued["valid_until"], "d MMMM y", locale="id")
    expect(page.get_by_text(f"Berlaku sampai {until}.", exact=True)).to_be_visible()
    qr = page.locator(".certificate-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 100 and abs(box["width"] - box["height"]) < 1, box
    printed = page.locator(".certificate-qr small").inner_text()
    match = re.fullmatch(r"Periksa keaslian:\s*(\S+)", printed.strip())
    assert match, printed
    verify_url = match.group(1)
    assert verify_url == f"{live_server.url}/verify/{issued['token']}", verify_url
    # The QR on the page (as the server sent it) encodes exactly the URL printed under it.
    html = page.request.get(page.url).text()
    assert qr_svg(verify_url, scale=4) in html, "the QR does not encode the printed URL"
    shot(page, "certificate")
    page.set_viewport_size(DESKTOP)
    shot(page, "certificate-desktop")
    page.set_viewport_size(TABLET)

    pdf = page.pdf(format="A4", print_background=True)
    (artifact_dir / "certificate.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF"), pdf[:16]
    assert pages_in(pdf) == 1, f"the certificate prints on {pages_in(pdf)} A4 pages"
    # One page is not enough: the whole certificate must be on it, signature and QR included.
    missing = cut_off(page)
    assert not missing, "the printed certificate is cut off:\n" + "\n".join(missing)

    # Anyone with a phone opens the QR's URL: valid, and nothing of the signatory shown.
    public = new_context().new_page()  # no cookie of the admin's
    public.set_viewport_size(PHONE)
    public.goto(verify_url)
    verdict = public.locator(".verify-result .verdict")
    expect(verdict).to_have_text("Sertifikat sah dan berlaku")
    result = public.locator(".verify-result")
    expect(result).to_contain_text(issued["number"])
    expect(result).to_contain_text(VILLAGE_LABEL)
    expect(result).to_contain_text(until)
    body = public.locator("body")
    expect(body).not_to_contain_text(SIGNATORY)
    expect(body).not_to_contain_text("Rina Marlina")
    expect(body).not_to_contain_text(NIP)
    shot(public, "verify-valid-phone")
    accessible(public, "verify-valid")

    # The admin revokes the certificate with a reason.
    page.get_by_role("link", name="Kembali ke desa").click()
    expect(heading(page)).to_have_text(VILLAGE_LABEL)
    expect(status_badge(page)).to_have_text("Tersertifikasi")
    certificates = certificate_section(page)
    expect(certificates).to_contain_text(issued["number"])
    shot(page, "village-certified")
    certificates.get_by_text("Cabut sertifikat ini").click()
    certificates.get_by_label("Alasan pencabutan").fill(REVOKE_REASON)
    shot(page, "village-revoke-form")
    certificates.get_by_role("button", name="Cabut sertifikat").click()
    expect(page.get_by_role("status")).to_contain_text(f"Sertifikat {issued['number']} dicabut.")
    expect(status_badge(page)).to_have_text("Dicabut")
    expect(certificate_section(page)).to_contain_text(f"Alasan pencabutan: {REVOKE_REASON}")
    shot(page, "village-revoked")

    # The same URL now says the certificate was revoked, without the office's reason.
    public.reload()
    expect(verdict).to_have_text("Sertifikat ini telah dicabut")
    expect(result).to_contain_text(issued["number"])
    expect(result).to_contain_text("Dicabut pada")
    expect(body).not_to_contain_text(REVOKE_REASON)
    expect(body).not_to_contain_text("Bupati")
    expect(body).not_to_contain_text(SIGNATORY)
    expect(body).not_to_contain_text(NIP)
    shot(public, "verify-revoked-phone")
    accessible(public, "verify-revoked")
