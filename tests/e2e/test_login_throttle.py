"""Repeated wrong passwords for one account stop further logins for a while."""

import pytest
from playwright.sync_api import expect

from tests.e2e.support import log_in

pytestmark = pytest.mark.e2e


def test_five_wrong_passwords_throttle_the_account(live_server, page, shot, accessible):
    # An account of its own: the throttle lasts 15 minutes and would lock out other journeys.
    # Every journey comes from 127.0.0.1, whose own limit is 20 failures: keep the sum low.
    live_server.create_user("uji.throttle", "kata-sandi-benar-1", display_name="Uji Pembatasan")
    limit = live_server.app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    assert limit == 5
    page.goto("/accounts/login")
    for attempt in range(1, limit + 1):
        log_in(page, "uji.throttle", f"salah-{attempt}")
        expect(page.get_by_role("alert")).to_have_text("Nama pengguna atau kata sandi salah.")
        if attempt in (1, limit):
            shot(page, f"wrong-password-{attempt}")

    # The limit is reached: the next attempt is refused before the password is even checked,
    # so the right password does not get in either.
    log_in(page, "uji.throttle", "kata-sandi-benar-1")
    expect(page.get_by_role("alert")).to_contain_text("Terlalu banyak percobaan masuk")
    expect(page).to_have_url(f"{live_server.url}/accounts/login")
    shot(page, "throttled")
    accessible(page, "throttled")
