"""What the journeys share: the live server, screen sizes, signing in, and axe-core."""

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect

E2E = Path(__file__).resolve().parent
REPO_ROOT = E2E.parent.parent
ARTIFACTS = REPO_ROOT / "test-artifacts" / "e2e"
AXE_JS = E2E / "vendor" / "axe.min.js"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

TABLET = {"width": 800, "height": 1280}
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# The first admin's password once a journey has replaced the one printed by `setup`.
ADMIN_NEW_PASSWORD = "pantai-tungkal-2024"
BLOCKING_IMPACTS = ("serious", "critical")


@dataclass
class LiveServer:
    """The app served over real HTTP for the browser, with what tests need to know of it."""

    url: str
    app: Flask
    admin_password: str  # printed by `setup` for the first admin; must be changed at first login
    setup_output: list[str]
    server: object = field(repr=False)
    thread: threading.Thread = field(repr=False)
    # Current password of each account a test made or changed: journeys share one database.
    passwords: dict[str, str] = field(default_factory=dict)

    def create_user(self, username: str, password: str, role: str = "officer", **fields):
        """Create an account straight in the server's database (setup for a journey)."""
        from learning.accounts import services
        from learning.accounts.models import Role
        from learning.core.database import write_intent
        from learning.extensions import db

        with self.app.app_context(), write_intent():
            services.create_user(
                username=username,
                display_name=fields.pop("display_name", username.title()),
                role=Role(role),
                password=password,
                must_change_password=fields.pop("must_change_password", False),
            )
            db.session.commit()
        self.passwords[username] = password


def no_horizontal_scroll(page: Page) -> None:
    """The page fits the screen's width: nothing to scroll sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide, wider than the screen"


def log_in(page: Page, username: str, password: str) -> None:
    """Fill the login form and send it (the page must be the login page)."""
    page.get_by_label("Nama pengguna", exact=True).fill(username)
    page.get_by_label("Kata sandi", exact=True).fill(password)
    page.get_by_role("button", name="Masuk", exact=True).click()


def change_password(page: Page, current: str, new: str) -> None:
    """Fill the change-password form and send it (the page must be that form)."""
    page.get_by_label("Kata sandi saat ini", exact=True).fill(current)
    page.get_by_label("Kata sandi baru", exact=True).fill(new)
    page.get_by_label("Ulangi kata sandi baru", exact=True).fill(new)
    page.get_by_role("button", name="Simpan kata sandi").click()


def log_in_as_admin(page: Page, live_server: LiveServer) -> None:
    """Sign the first admin in, replacing the setup password if no journey did it yet."""
    page.goto("/accounts/login")
    log_in(page, "admin", live_server.passwords.get("admin", live_server.admin_password))
    if page.url.endswith("/accounts/password"):
        change_password(page, live_server.admin_password, ADMIN_NEW_PASSWORD)
        live_server.passwords["admin"] = ADMIN_NEW_PASSWORD
    expect(page.get_by_role("heading", level=1)).to_have_text("Beranda kantor")


def run_axe(page: Page) -> dict:
    """Inject the vendored axe-core and return its results for the whole page."""
    # The app's Content-Security-Policy blocks injected scripts unless the browser context
    # was made with bypass_csp=True (see browser_context_args in conftest.py).
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations', 'incomplete']})"
    )


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {' '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page, report: Path | None = None) -> list[dict]:
    """Fail listing every serious or critical axe-core violation; return all violations.

    With `report`, write a JSON summary of every violation (any impact) there.
    """
    results = run_axe(page)
    violations = results["violations"]
    if report is not None:
        summary = {
            "url": page.url,
            "axe": results.get("testEngine", {}).get("version"),
            "violations": [
                {
                    "id": v["id"],
                    "impact": v["impact"],
                    "help": v["help"],
                    "targets": [n["target"] for n in v["nodes"]],
                }
                for v in violations
            ],
            # Checks axe could not decide alone: worth a human look, never a failure.
            "incomplete": [
                {"id": v["id"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]]}
                for v in results.get("incomplete", [])
            ],
        }
        report.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, (
        f"axe-core found {len(blocking)} serious or critical violation(s) on {page.url}:\n"
        + describe_violations(blocking)
    )
    return violations
