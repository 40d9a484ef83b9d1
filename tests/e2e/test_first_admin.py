"""The first admin's first login: setup password, forced password change, office home.

This file's name sorts first in the folder on purpose: it needs the admin account as `setup`
left it. Later journeys sign the admin in through `log_in_as_admin`, which does the same
change if this journey was deselected.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.support import ADMIN_NEW_PASSWORD, change_password, log_in

pytestmark = pytest.mark.e2e


def test_first_admin_changes_the_setup_password_and_reaches_the_office_home(
    live_server, page, shot, accessible
):
    assert "admin" not in live_server.passwords, "the first admin already left the setup password"
    page.goto("/accounts/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")
    shot(page, "login")
    accessible(page, "login")

    log_in(page, "admin", live_server.admin_password)
    expect(page).to_have_url(re.compile(r"/accounts/password$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ganti kata sandi")
    expect(page.get_by_text("Anda masuk dengan kata sandi sementara")).to_be_visible()
    shot(page, "password-forced")
    accessible(page, "password")

    # Any other page sends the admin back here until the password is changed.
    page.goto("/accounts/manage/")
    expect(page).to_have_url(re.compile(r"/accounts/password$"))
    expect(page.get_by_role("status")).to_contain_text("Ganti kata sandi sementara Anda")
    shot(page, "password-still-required")

    change_password(page, live_server.admin_password, ADMIN_NEW_PASSWORD)
    live_server.passwords["admin"] = ADMIN_NEW_PASSWORD
    expect(page).to_have_url(re.compile(r"/accounts/manage/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Beranda kantor")
    expect(page.get_by_role("status")).to_have_text("Kata sandi sudah diganti.")
    expect(page.get_by_text("Kantor Imigrasi Kelas II TPI Kuala Tungkal").first).to_be_visible()
    shot(page, "office-home")
    accessible(page, "office-home")
