"""`setup` from an empty database and again on an existing one, on SQLite or PostgreSQL."""

import uuid

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from learning.accounts.models import Role, User
from learning.cli import run_setup
from learning.core.models import AuditEntry
from learning.extensions import db
from learning.regions.models import Office, Village
from tests.conftest import is_postgres, make_test_app


@pytest.fixture
def fresh_database_url(app, tmp_path):
    """A database of its own: a new SQLite file, or a new PostgreSQL database."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not is_postgres(url):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"sadar_setup_{uuid.uuid4().hex[:10]}"
    admin_engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def _snapshot():
    return {
        "villages": db.session.scalar(select(func.count()).select_from(Village)),
        "admins": db.session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN)
        ),
        "offices": db.session.scalar(select(func.count()).select_from(Office)),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)),
        "area": [r.code for r in db.session.scalars(select(Office)).one().regencies],
    }


def test_setup_builds_an_empty_database_and_a_second_run_changes_nothing(
    fresh_database_url, tmp_path
):
    fresh = make_test_app(fresh_database_url, tmp_path / "instance")
    with fresh.app_context():
        password = run_setup(echo=lambda *_: None)
        assert password and len(password) == 14
        tables = set(inspect(db.engine).get_table_names())
        assert {"user_account", "village", "audit_entry", "alembic_version"} <= tables
        first = _snapshot()
        assert first["villages"] == 27 and first["admins"] == 1 and first["offices"] == 1
        assert first["area"] == ["15.05", "15.06", "15.07"]
        admin = db.session.scalars(select(User)).one()
        assert admin.must_change_password and admin.username == "admin"

        assert run_setup(echo=lambda *_: None) is None  # no second admin, no new password
        assert _snapshot() == first
        db.session.remove()
        db.engine.dispose()


def test_setup_keeps_an_area_the_admin_changed(fresh_database_url, tmp_path):
    fresh = make_test_app(fresh_database_url, tmp_path / "instance")
    with fresh.app_context():
        run_setup(echo=lambda *_: None)
        office = db.session.scalars(select(Office)).one()
        from learning.regions.services import set_work_area

        set_work_area(office, ["15.06"], actor=None)
        db.session.commit()
        run_setup(echo=lambda *_: None)
        assert [r.code for r in db.session.scalars(select(Office)).one().regencies] == ["15.06"]
        db.session.remove()
        db.engine.dispose()


def test_setup_command_prints_the_first_admin_password_once(fresh_database_url, tmp_path):
    fresh = make_test_app(fresh_database_url, tmp_path / "instance")
    runner = fresh.test_cli_runner()
    first = runner.invoke(args=["setup"])
    assert first.exit_code == 0, first.output
    assert "kata sandi:" in first.output
    second = runner.invoke(args=["setup"])
    assert second.exit_code == 0 and "kata sandi:" not in second.output
    assert "tidak ada perubahan" in second.output
    with fresh.app_context():
        db.engine.dispose()
