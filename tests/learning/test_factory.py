"""The factory, configuration from the environment, headers and error pages."""

import os
import stat

from learning import create_app
from learning.config import from_environment
from learning.core.access import public
from tests.conftest import make_test_app


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = from_environment(str(tmp_path))["SECRET_KEY"]
    second = from_environment(str(tmp_path))["SECRET_KEY"]
    assert first == second and len(first) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_environment_overrides_secret_database_and_public_address(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PUBLIC_URL", "http://192.168.1.10:5000")
    config = from_environment(str(tmp_path))
    assert config["SECRET_KEY"] == "from-env"
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["HOST"] == "0.0.0.0"
    assert config["PUBLIC_URL"] == "http://192.168.1.10:5000"


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'sadar-imigrasi.db'}"
    assert app.config["PUBLIC_URL"] == "http://127.0.0.1:5000"
    assert app.config["DEVICE_ID"] == (tmp_path / "device_id").read_text()


def test_pages_carry_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_http_only_and_same_site(client, admin):
    response = client.post(
        "/accounts/login", data={"username": admin.username, "password": "kata-sandi-uji-1"}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_unknown_page_answers_404_in_indonesian(client):
    response = client.get("/tidak-ada")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.get_data(as_text=True)


def test_server_error_page_is_indonesian(app, tmp_path):
    broken = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, TESTING=False)

    @broken.get("/__boom")
    @public
    def boom():
        raise RuntimeError("boom")

    response = broken.test_client().get("/__boom")
    assert response.status_code == 500
    assert "Terjadi kesalahan di server" in response.get_data(as_text=True)


def test_language_switch_shows_english_and_back(client):
    response = client.post("/lang/en", data={"next": "/accounts/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/accounts/login"
    page = client.get("/accounts/login").get_data(as_text=True)
    assert "Username" in page and 'lang="en"' in page
    client.post("/lang/id")
    assert "Nama pengguna" in client.get("/accounts/login").get_data(as_text=True)


def test_language_switch_refuses_foreign_redirects(client):
    response = client.post("/lang/en", data={"next": "https://example.com/"})
    assert response.headers["Location"] == "/"


def test_health_check_reaches_the_database(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_every_asset_is_local(app):
    """No CDN, no external fonts: tablets at events may have no internet at all."""
    root = app.static_folder
    offenders = []
    for folder in (root, app.template_folder):
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                if not name.endswith((".html", ".css", ".js", ".svg")):
                    continue
                text = open(os.path.join(dirpath, name), encoding="utf-8").read()
                for marker in ("http://", "https://", "//fonts.", "@import url("):
                    if marker in text.replace("http://www.w3.org/", ""):
                        offenders.append(f"{name}: {marker}")
    assert offenders == []
