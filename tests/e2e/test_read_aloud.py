"""Read aloud: hidden where the device has no Indonesian voice, speaking id-ID where it has one."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_kiosk import consent, make_event, make_officer, open_kiosk, register

pytestmark = pytest.mark.e2e

# A stand-in for the browser's speech synthesis with one Indonesian voice; it records what it
# is asked to say. Headless Chromium has no voices at all, which is the other path.
FAKE_VOICE = """
window.__spoken = [];
const voices = [{ name: "Indonesia", lang: "id-ID" }];
Object.defineProperty(window, "speechSynthesis", { value: {
  getVoices: () => voices, cancel: () => {}, addEventListener: () => {},
  speak: (u) => window.__spoken.push({ text: u.text, lang: u.lang }),
}});
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
"""


def _to_first_card(page, live_server, username, title):
    make_officer(live_server, username, "Petugas Suara")
    make_event(live_server, username, title)
    open_kiosk(page, live_server, username, title)
    consent(page)
    register(page, "Warga Suara")
    page.goto("/kiosk/lesson/0/0")


def test_read_aloud_hides_itself_without_an_indonesian_voice(live_server, page):
    _to_first_card(page, live_server, "suara.tanpa", "Sosialisasi tanpa suara")
    expect(page.locator(".speak-button").first).to_be_attached()
    expect(page.locator(".speak-button").first).to_be_hidden()


def test_read_aloud_speaks_the_card_in_indonesian(live_server, page, shot):
    page.add_init_script(FAKE_VOICE)
    _to_first_card(page, live_server, "suara.ada", "Sosialisasi dengan suara")
    button = page.get_by_role("button", name="Dengarkan")
    expect(button).to_be_visible()
    shot(page, "card-with-read-aloud")
    button.click()
    spoken = page.evaluate("window.__spoken")
    assert len(spoken) == 1 and spoken[0]["lang"] == "id-ID"
    assert "UU 6/2011" not in spoken[0]["text"]  # citations are not read out
    heading = page.locator("h1").inner_text()
    assert spoken[0]["text"].startswith(heading)
