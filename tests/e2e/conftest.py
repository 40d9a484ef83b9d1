"""End-to-end fixtures: a live server with a database of its own, Debian's Chromium, artifacts.

Every test here must request `live_server` (directly, or through `base_url` or `page`): the
root conftest's autouse `_app_context` steps aside for such tests, since the browser talks to
another app over HTTP and the unit tests' per-test cleanup must not touch it.
"""

import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_test_app
from tests.e2e.support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    E2E,
    TABLET,
    LiveServer,
    assert_accessible,
)


def pytest_collection_modifyitems(config, items):
    """Mark the journeys `e2e`; skip them where Chromium is missing, unless on CI."""
    ours = [item for item in items if E2E in Path(str(item.path)).parents]
    for item in ours:
        item.add_marker(pytest.mark.e2e)
    if CHROMIUM.exists() or os.environ.get("CI"):
        return  # on CI a missing browser fails in browser_type_launch_args, never skips
    skip = pytest.mark.skip(
        reason=f"Chromium not found at {CHROMIUM} (apt-get install -y chromium, "
        "or set CHROMIUM_PATH); end-to-end journeys skipped"
    )
    for item in ours:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def live_server():
    """Serve a separate app (SQLite file of its own, CSRF on) on 127.0.0.1 and a free port."""
    from learning.cli import run_setup
    from learning.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="sadar-e2e-"))
    app = make_test_app(
        f"sqlite:///{tmp / 'e2e.db'}",
        tmp / "instance",
        TESTING=False,
        WTF_CSRF_ENABLED=True,
    )
    output: list[str] = []
    with app.app_context():
        password = run_setup(echo=output.append)
        db.session.remove()
    assert password, "setup made no first admin on a fresh database"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(
            url=url,
            app=app,
            admin_password=password,
            setup_output=output,
            server=server,
            thread=thread,
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: CI must install it (apt-get install -y chromium)"
        )
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A tablet, in Indonesian time and language; CSP bypassed so axe-core can be injected.

    A test may change these with `@pytest.mark.browser_context_args(viewport=...)`.
    """
    return {
        **browser_context_args,
        "viewport": TABLET,
        "bypass_csp": True,
        "locale": "id-ID",
        "timezone_id": "Asia/Jakarta",
    }


def _artifact_name(node) -> str:
    params = getattr(getattr(node, "callspec", None), "params", {})
    extra = [str(v) for k, v in params.items() if k != "browser_name"]
    name = "-".join([node.originalname, *extra])
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)


@pytest.fixture
def artifact_dir(request, live_server) -> Path:
    """test-artifacts/e2e/<test name>/, emptied at the start of the test."""
    path = ARTIFACTS / _artifact_name(request.node)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture
def shot(artifact_dir):
    """shot(page, name): save a full-page PNG as <NN>-<name>.png in the test's folder."""
    counter = iter(range(1, 100))

    def take(page, name: str) -> Path:
        path = artifact_dir / f"{next(counter):02d}-{name}.png"
        # A picture taken before the images are decoded misses them (the header logo did).
        page.wait_for_load_state("load")
        page.wait_for_function("Array.from(document.images).every(i => i.complete)")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def accessible(artifact_dir):
    """accessible(page, name): assert_accessible, keeping axe-<name>.json in the test's folder."""

    def check(page, name: str) -> list[dict]:
        return assert_accessible(page, report=artifact_dir / f"axe-{name}.json")

    return check
