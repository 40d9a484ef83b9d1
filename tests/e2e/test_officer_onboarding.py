"""The admin makes an officer account and assigns villages; the officer's first login."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.support import change_password, log_in, log_in_as_admin

pytestmark = pytest.mark.e2e

PEMBENGIS = "15.06.11.2004"  # Kab. Tanjung Jabung Barat, in tests/data/regions/villages.csv
SENGETI = "15.05.02.1010"  # Kab. Muaro Jambi


def test_admin_creates_an_officer_who_then_sees_the_assigned_villages(
    live_server, page, new_context, shot, accessible
):
    log_in_as_admin(page, live_server)
    page.get_by_role("navigation").get_by_role("link", name="Akun petugas").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Akun petugas dan admin")
    shot(page, "users")
    page.get_by_role("link", name="Buat akun baru").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Buat akun baru")
    page.get_by_label("Nama lengkap").fill("Rahmat Hidayat")
    page.get_by_label("Nama pengguna").fill("rahmat.hidayat")
    page.get_by_label("Peran").select_option("officer")
    shot(page, "new-account-form")
    accessible(page, "new-account")
    page.get_by_role("button", name="Buat akun").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Kata sandi sementara")
    expect(page.get_by_text("Akun Rahmat Hidayat dibuat.")).to_be_visible()
    temporary = page.locator("code.secret").inner_text().strip()
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", temporary), temporary
    shot(page, "temporary-password")
    accessible(page, "temporary-password")
    page.get_by_role("link", name="Selesai").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Rahmat Hidayat")
    picker = page.get_by_role("group", name="Desa binaan yang ditugaskan")
    picker.locator(f'input[value="{PEMBENGIS}"]').check()
    picker.locator(f'input[value="{SENGETI}"]').check()
    shot(page, "villages-selected")
    accessible(page, "user")
    page.get_by_role("button", name="Simpan", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Perubahan disimpan.")
    expect(page.get_by_text("Saat ini 2 dipilih.")).to_be_visible()
    for code in (SENGETI, PEMBENGIS):
        expect(picker.locator(f'input[value="{code}"]')).to_be_checked()
    shot(page, "villages-saved")
    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_role("status")).to_have_text("Anda sudah keluar.")
    shot(page, "admin-logged-out")

    # The officer, on a tablet of their own: a fresh context shares no cookie with the admin's.
    officer_page = new_context().new_page()
    officer_page.goto("/accounts/login")
    log_in(officer_page, "rahmat.hidayat", temporary)
    expect(officer_page).to_have_url(re.compile(r"/accounts/password$"))
    expect(officer_page.get_by_text("Anda masuk dengan kata sandi sementara")).to_be_visible()
    shot(officer_page, "officer-password-forced")
    change_password(officer_page, temporary, "sungai-pengabuan-7")
    live_server.passwords["rahmat.hidayat"] = "sungai-pengabuan-7"

    # The officer lands on the role's landing page (which the factory chooses), then opens
    # the page of their villages from the navigation.
    expect(officer_page).not_to_have_url(re.compile(r"/accounts/password$"))
    expect(officer_page.get_by_role("status")).to_have_text("Kata sandi sudah diganti.")
    shot(officer_page, "officer-landing")
    nav = officer_page.get_by_role("navigation", name="Navigasi utama")
    nav.locator("a[href$='/villages/mine']").click()
    expect(officer_page).to_have_url(re.compile(r"/villages/mine$"))
    expect(officer_page.get_by_role("heading", level=1)).to_have_text("Desa binaan saya")
    assigned = officer_page.locator(".village-list > li")
    expect(assigned).to_have_count(2)
    expect(assigned.filter(has_text="Pembengis")).to_contain_text(PEMBENGIS)
    expect(assigned.filter(has_text="Sengeti")).to_contain_text(SENGETI)
    shot(officer_page, "officer-home")
    accessible(officer_page, "officer-home")
