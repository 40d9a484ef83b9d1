"""Fixtures: one schema per test session (built by the migrations), cleaned after each test.

The same tests run on SQLite (default) and on PostgreSQL when TEST_DATABASE_URL names one.
"""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from learning import create_app
from learning.accounts.models import Role, User
from learning.extensions import db

TESTS = Path(__file__).resolve().parent
REGIONS_FIXTURE = TESTS / "data" / "regions"
PASSWORD = "kata-sandi-uji-1"
# Seeded once per session and kept; every other table is emptied after each test.
KEPT_TABLES = {
    "province",
    "regency",
    "district",
    "village",
    "office",
    "office_regency",
    "alembic_version",
    "setting",
}


def database_url(tmp_dir: Path, name: str = "test") -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / (name + '.db')}"


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def reset_postgres_schema(url: str) -> None:
    """Drop everything in the PostgreSQL test database (it is the tests' own)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


class IsolatedClient(FlaskClient):
    """Serve each request in an app context of its own, as a real server does.

    Without this, requests would share the test's app context: its `g` (the logged-in
    user) and its database session, hiding bugs that a real server would show.
    """

    def open(self, *args, **kwargs):
        db.session.commit()  # what the test wrote is visible; its locks are released
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.commit()  # ends the test's read snapshot; loaded objects reload
        return response


def make_test_app(url: str, instance: Path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "tests-only-secret",
        "DEVICE_ID": "test-device",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "REGIONS_DATA_DIR": str(REGIONS_FIXTURE),
        "SERVER_NAME": None,
        "PUBLIC_URL": "http://127.0.0.1:5000",
        "HOST": "127.0.0.1",
        "PORT": 5000,
        "REDIS_URL": None,
        "SESSION_COOKIE_SECURE": False,
    }
    config.update(overrides)
    os.environ.setdefault("INSTANCE_PATH", str(instance))
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


def pytest_collection_modifyitems(config, items):
    """Run the browser journeys once, in the SQLite pass: they serve a database of their own."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url and is_postgres(url):
        skip = pytest.mark.skip(reason="end-to-end journeys run in the SQLite pass")
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def session_tmp():
    path = Path(tempfile.mkdtemp(prefix="sadar-tests-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def app(session_tmp):
    from learning.cli import run_setup

    url = database_url(session_tmp)
    if is_postgres(url):
        reset_postgres_schema(url)
    app = make_test_app(url, session_tmp / "instance")
    with app.app_context():
        run_setup(echo=lambda *_: None)
        # The setup made a first admin; tests make the users they need.
        db.session.execute(text("DELETE FROM audit_entry"))
        db.session.execute(text("DELETE FROM user_account"))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables():
    # lesson and lesson_version point at each other: break the cycle first.
    db.session.execute(text("UPDATE lesson SET current_version_id = NULL, file_version_id = NULL"))
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    for table in tables:
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _app_context(request, app):
    """Run each test inside an app context and leave the database as the session set it."""
    if "live_server" in request.fixturenames:
        yield
        return
    with app.app_context():
        yield
        db.session.rollback()
        _empty_tables()
        from learning.regions.services import DEFAULT_WORK_AREA, get_office, list_regencies

        office = get_office()
        wanted = sorted(DEFAULT_WORK_AREA)
        if [r.code for r in office.regencies] != wanted:
            office.regencies = [r for r in list_regencies() if r.code in wanted]
            db.session.commit()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user():
    """Create and commit a user: make_user(role=Role.OFFICER, villages=[...])."""
    from werkzeug.security import generate_password_hash

    from learning.regions.services import get_villages

    def factory(role=Role.OFFICER, username=None, password=PASSWORD, villages=(), **fields):
        username = username or f"{role.value}-{uuid.uuid4().hex[:6]}"
        user = User(
            role=role,
            username=None if role == Role.VILLAGER else username,
            display_name=fields.pop("display_name", username.title()),
            password_hash=None if role == Role.VILLAGER else generate_password_hash(password),
            **fields,
        )
        user.villages = get_villages(list(villages))
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def login_as():
    """Put `user` in the client's session, as a successful login would."""

    def login(client, user):
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return login


@pytest.fixture
def admin(make_user):
    return make_user(role=Role.ADMIN, username="admin.kantor", display_name="Admin Kantor")


@pytest.fixture
def officer(make_user):
    return make_user(
        role=Role.OFFICER,
        username="petugas.satu",
        display_name="Petugas Satu",
        villages=["15.06.11.2004"],
    )


@pytest.fixture(scope="session")
def _checked_content(app):
    """The bundled content files, parsed and checked once (the YAML parse is the slow part)."""
    from learning.cli import check_content

    with app.app_context():
        found = check_content(Path(app.config["CONTENT_DIR"]), Path(app.static_folder))
    assert not found[2], found[2]
    return found


@pytest.fixture
def content(_checked_content, monkeypatch):
    """Lessons, question bank and quizzes loaded by the real loader (files parsed once)."""
    import learning.cli

    monkeypatch.setattr(learning.cli, "check_content", lambda *_args: _checked_content)
    learning.cli.load_content(echo=lambda *_: None)
    db.session.commit()
