"""Pages at other screen sizes than the tablet: the office desktop and a phone."""

import pytest
from playwright.sync_api import expect

from tests.e2e.support import DESKTOP, PHONE, log_in_as_admin, no_horizontal_scroll

pytestmark = pytest.mark.e2e


@pytest.mark.browser_context_args(viewport=DESKTOP)
def test_office_home_on_a_desktop_screen(live_server, page, shot, accessible):
    log_in_as_admin(page, live_server)
    assert page.viewport_size == DESKTOP
    expect(page.get_by_role("navigation", name="Navigasi utama")).to_be_visible()
    shot(page, "office-home-desktop")
    accessible(page, "office-home-desktop")
    no_horizontal_scroll(page)


@pytest.mark.browser_context_args(viewport=PHONE)
def test_login_page_on_a_phone(live_server, page, shot, accessible):
    page.goto("/accounts/login")
    assert page.viewport_size == PHONE
    expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")
    expect(page.get_by_role("button", name="Masuk", exact=True)).to_be_visible()
    shot(page, "login-phone")
    accessible(page, "login-phone")
    no_horizontal_scroll(page)
