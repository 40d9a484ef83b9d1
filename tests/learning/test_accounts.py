"""Login, logout, throttling, password change and reset, deactivation, officer management."""

import pytest
from sqlalchemy import select

from learning.accounts.models import Role, User
from learning.core.models import AuditEntry
from learning.extensions import db
from tests.conftest import PASSWORD, make_test_app


def login(client, username, password=PASSWORD, next_url=None, address="10.0.0.1"):
    url = "/accounts/login" + (f"?next={next_url}" if next_url else "")
    return client.post(
        url,
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def text(response):
    return response.get_data(as_text=True)


def test_officer_logs_in_and_lands_on_the_officer_page(client, officer):
    response = login(client, "Petugas.Satu")  # usernames are not case-sensitive
    assert response.status_code == 302 and response.headers["Location"] == "/"
    landing = client.get("/")
    assert landing.headers["Location"] == "/lessons/"  # the onboarding track
    assert "Pembengis" in text(client.get("/villages/mine"))


def test_admin_lands_on_the_office_page(client, admin):
    login(client, admin.username)
    assert client.get("/").headers["Location"] == "/accounts/manage/"


def test_wrong_password_and_unknown_user_get_the_same_message(client, officer):
    wrong = login(client, officer.username, "salah-sekali")
    unknown = login(client, "tidak.ada", "salah-sekali")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Nama pengguna atau kata sandi salah." in text(response)


def test_login_follows_a_safe_next_and_refuses_a_foreign_one(client, admin):
    assert login(client, admin.username, next_url="/accounts/manage/users").headers["Location"] == (
        "/accounts/manage/users"
    )
    client.post("/accounts/logout")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = login(client, admin.username, next_url=evil)
        assert response.headers["Location"] == "/", evil
        client.post("/accounts/logout")


def test_account_is_throttled_after_repeated_failures_even_with_the_right_password(
    app, client, officer
):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for i in range(limit):
        assert login(client, officer.username, "salah", address=f"10.0.1.{i}").status_code == 401
    blocked = login(client, officer.username, PASSWORD, address="10.0.2.1")
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan masuk yang gagal" in text(blocked)


def test_client_address_is_throttled_across_accounts(app, client, make_user):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for i in range(limit):
        login(client, f"tebakan{i}", "salah", address="10.9.9.9")
    target = make_user(role=Role.OFFICER, username="korban")
    assert login(client, target.username, address="10.9.9.9").status_code == 429
    assert login(client, target.username, address="10.9.9.10").status_code == 302


def test_throttle_counts_are_shared_by_every_worker(app, client, officer, session_tmp):
    """A second app on the same database stands for another worker process."""
    other_worker = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], session_tmp / "instance")
    other = other_worker.test_client()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for i in range(limit):
        (client if i % 2 else other).post(
            "/accounts/login",
            data={"username": officer.username, "password": "salah"},
            environ_base={"REMOTE_ADDR": f"10.3.0.{i}"},
        )
    assert login(other, officer.username).status_code == 429
    with other_worker.app_context():
        db.engine.dispose()


def test_successful_login_clears_the_account_failures(app, client, officer):
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] - 1):
        login(client, officer.username, "salah")
    assert login(client, officer.username).status_code == 302
    client.post("/accounts/logout")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] - 1):
        login(client, officer.username, "salah")
    assert login(client, officer.username).status_code == 302


def test_redis_throttle_counts_failures_when_configured(app, officer):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    redis.Redis.from_url(url).flushdb()
    app.config["REDIS_URL"] = url
    app.extensions.pop("login_throttle", None)
    try:
        client = app.test_client()
        for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
            login(client, officer.username, "salah")
        assert login(client, officer.username).status_code == 429
        assert (
            redis.Redis.from_url(url).get("sadar-imigrasi:login-failures:account:petugas.satu")
            == b"5"
        )
        assert (
            db.session.execute(
                select(db.func.count()).select_from(db.metadata.tables["login_failure"])
            ).scalar()
            == 0
        )
    finally:
        app.config["REDIS_URL"] = None
        app.extensions.pop("login_throttle", None)
        redis.Redis.from_url(url).flushdb()


def test_deactivated_account_cannot_log_in_and_loses_its_session(client, admin, officer, login_as):
    officer_client = client.application.test_client()
    login(officer_client, officer.username)
    assert officer_client.get("/villages/mine").status_code == 200

    login_as(client, admin)
    response = client.post(f"/accounts/manage/users/{officer.id}/deactivate")
    assert response.status_code == 302
    assert officer_client.get("/villages/mine").status_code == 302  # sent to login
    refused = login(officer_client, officer.username)
    assert refused.status_code == 401
    assert "Akun ini sudah dinonaktifkan" in text(refused)
    client.post(f"/accounts/manage/users/{officer.id}/activate")
    assert login(officer_client, officer.username).status_code == 302


def test_admin_cannot_deactivate_their_own_account(client, admin, login_as):
    login_as(client, admin)
    response = client.post(f"/accounts/manage/users/{admin.id}/deactivate")
    assert response.status_code == 400
    assert "tidak dapat menonaktifkan akun Anda sendiri" in text(response)
    assert db.session.get(User, admin.id).is_active_account


def test_admin_creates_an_officer_who_must_choose_a_new_password(client, admin, login_as):
    login_as(client, admin)
    response = client.post(
        "/accounts/manage/users/new",
        data={"display_name": "Siti Aminah", "username": "Siti.Aminah", "role": "officer"},
    )
    assert response.status_code == 200
    page = text(response)
    temporary = page.split('<code class="secret">')[1].split("</code>")[0]
    officer = db.session.scalars(select(User).where(User.username == "siti.aminah")).one()
    assert officer.role == Role.OFFICER and officer.must_change_password
    assert officer.password_hash != temporary

    client.post("/accounts/logout")
    assert login(client, "siti.aminah", temporary).headers["Location"] == "/accounts/password"
    assert client.get("/villages/mine").headers["Location"] == "/accounts/password"
    changed = client.post(
        "/accounts/password",
        data={"current": temporary, "new": "sandi-baru-saya", "confirm": "sandi-baru-saya"},
    )
    assert changed.status_code == 302
    assert client.get("/villages/mine").status_code == 200
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.at)).all()
    assert actions == ["user.created", "user.password_changed"]


def test_duplicate_username_is_refused(client, admin, officer, login_as):
    login_as(client, admin)
    response = client.post(
        "/accounts/manage/users/new",
        data={"display_name": "Lain", "username": officer.username, "role": "officer"},
    )
    assert response.status_code == 400
    assert "sudah dipakai" in text(response)


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("pendek", "pendek", "Minimal 8 karakter"),
        ("sandi-baru-1", "sandi-baru-2", "tidak sama"),
        ("petugas.satu", "petugas.satu", "tidak boleh sama dengan nama pengguna"),
    ],
)
def test_bad_new_password_is_refused(client, officer, login_as, new, confirm, message):
    login_as(client, officer)
    response = client.post(
        "/accounts/password", data={"current": PASSWORD, "new": new, "confirm": confirm}
    )
    assert response.status_code == 400
    assert message in text(response)
    assert db.session.get(User, officer.id).password_hash == officer.password_hash


def test_password_reset_gives_a_temporary_password_and_ends_sessions(
    client, admin, officer, login_as
):
    officer_client = client.application.test_client()
    login(officer_client, officer.username)
    login_as(client, admin)
    response = client.post(f"/accounts/manage/users/{officer.id}/reset-password")
    temporary = text(response).split('<code class="secret">')[1].split("</code>")[0]
    assert officer_client.get("/villages/mine").status_code == 302
    assert login(officer_client, officer.username).status_code == 401
    assert (
        login(officer_client, officer.username, temporary).headers["Location"]
        == "/accounts/password"
    )
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.password_reset")
    ).one()
    assert entry.actor_name == "Admin Kantor" and temporary not in str(entry.details)


def test_admin_assigns_villages_of_the_work_area(client, admin, officer, login_as):
    login_as(client, admin)
    page = text(client.get(f"/accounts/manage/users/{officer.id}"))
    assert "Sengeti" in page and "Lubuk Pakam" not in page  # outside the work area
    response = client.post(
        f"/accounts/manage/users/{officer.id}",
        data={"display_name": "Petugas Satu", "villages": ["15.05.02.1010", "15.06.02.2014"]},
    )
    assert response.status_code == 302
    assert [v.code for v in db.session.get(User, officer.id).villages] == [
        "15.05.02.1010",
        "15.06.02.2014",
    ]
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.villages_changed")
    ).one()
    assert entry.details["before"] == ["15.06.11.2004"]


def test_a_village_outside_the_work_area_cannot_be_assigned(client, admin, officer, login_as):
    login_as(client, admin)
    response = client.post(
        f"/accounts/manage/users/{officer.id}",
        data={"display_name": "Petugas Satu", "villages": ["12.07.28.1007"]},
    )
    assert response.status_code == 400
    assert [v.code for v in db.session.get(User, officer.id).villages] == ["15.06.11.2004"]


def test_missing_csrf_token_is_refused_in_indonesian(app, client, officer):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = login(client, officer.username)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert "Formulir sudah kedaluwarsa atau tidak sah" in text(response)


def test_forged_csrf_token_is_refused(app, client, officer):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client.get("/accounts/login")
        response = client.post(
            "/accounts/login",
            data={"username": officer.username, "password": PASSWORD, "csrf_token": "palsu.palsu"},
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400


def test_logout_needs_a_post(client, officer, login_as):
    login_as(client, officer)
    assert client.get("/accounts/logout").status_code == 405
    assert client.post("/accounts/logout").status_code == 302
    assert client.get("/villages/mine").status_code == 302


def test_create_user_command_makes_an_admin(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "admin", "--username", "kepala", "--name", "Kepala Kantor"],
        input="rahasia-kantor-1\nrahasia-kantor-1\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.username == "kepala")).one()
    assert user.role == Role.ADMIN and user.password_hash.startswith("scrypt:")


def test_create_user_command_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "officer", "--username", "baru", "--name", "Baru"],
        input="pendek\npendek\n",
    )
    assert result.exit_code == 1 and "minimal 8 karakter" in result.output.lower()
    assert db.session.scalars(select(User).where(User.username == "baru")).first() is None
