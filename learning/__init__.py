"""Sadar Imigrasi: the application factory. The only place where the rooms are wired."""

import os
from pathlib import Path

from flask import Flask, request
from flask_babel import format_datetime, format_decimal
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException

from learning.config import ROOT, Defaults, from_environment
from learning.extensions import babel, csrf, db, login_manager, migrate

MIGRATIONS_DIR = str(ROOT / "learning" / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app; `test_config` overrides the environment (tests only)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Defaults)
    if test_config is None or "SECRET_KEY" not in test_config:
        app.config.update(from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    # A field laptop enrolled with the office: a participant card it does not know is taken on
    # trust and matched to its owner when the office imports the event (learning.sync).
    app.config.setdefault(
        "CLAIM_UNKNOWN_CARDS",
        (
            Path(app.config.get("SYNC_DIR") or Path(app.instance_path) / "sync") / "enrolment.json"
        ).exists(),
    )
    if "SQLALCHEMY_ENGINE_OPTIONS" not in app.config:
        from learning.config import engine_options

        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
            app.config["SQLALCHEMY_DATABASE_URI"]
        )
    register_extensions(app)
    # Request hooks first: the write intent must be set before any blueprint's hook queries.
    register_request_hooks(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    return app


def select_locale() -> str:
    from flask import current_app, has_request_context

    if not has_request_context():  # CLI commands and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_extensions(app: Flask) -> None:
    import learning.core.database  # noqa: F401  (SQLite pragmas and BEGIN IMMEDIATE)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    import learning.accounts.auth  # noqa: F401  (the user_loader)


def register_blueprints(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from learning.accounts.models import Role
    from learning.accounts.views import bp as accounts_bp
    from learning.core.views import LANDING_PAGES, OFFICE_NAV
    from learning.core.views import bp as core_bp
    from learning.events.kiosk import bp as kiosk_bp
    from learning.events.views import bp as events_bp
    from learning.field.views import bp as field_bp
    from learning.lessons.views import bp as lessons_bp
    from learning.regions.views import bp as regions_bp
    from learning.sync.views import api as sync_api_bp
    from learning.sync.views import bp as sync_bp
    from learning.villages.guide import bp as guide_bp
    from learning.villages.views import bp as villages_bp
    from learning.villages.views import verify_bp
    from quizzes.views import bp as quizzes_bp

    for bp in (
        core_bp,
        regions_bp,
        accounts_bp,
        lessons_bp,
        quizzes_bp,
        events_bp,
        kiosk_bp,
        villages_bp,
        verify_bp,
        guide_bp,
        field_bp,
        sync_bp,
        sync_api_bp,
    ):
        app.register_blueprint(bp)
    LANDING_PAGES.update(admin="accounts.office_home", officer="lessons.index")
    admin, officer = frozenset({Role.ADMIN}), frozenset({Role.OFFICER})
    OFFICE_NAV[:] = [
        ("accounts.office_home", _l("Beranda"), admin),
        ("villages.dashboard", _l("Desa"), admin),
        ("lessons.index", _l("Pembekalan"), officer),
        ("quizzes.index", _l("Kuis dan ujian"), officer),
        ("events.index", _l("Acara"), officer),
        ("villages.mine", _l("Desa binaan saya"), officer),
        ("events.index", _l("Acara"), admin),
        ("accounts.manage_users", _l("Akun petugas"), admin),
        ("lessons.manage_index", _l("Pelajaran"), admin),
        ("quizzes.manage_index", _l("Kuis"), admin),
        ("regions.manage_work_area", _l("Wilayah kerja"), admin),
        ("sync.index", _l("Laptop lapangan"), admin),
        ("accounts.manage_audit", _l("Log audit"), admin),
        ("guide.index", _l("Panduan"), frozenset({Role.ADMIN, Role.OFFICER})),
    ]


CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def register_request_hooks(app: Flask) -> None:
    from learning.accounts.auth import require_password_change
    from learning.core.access import check_view_declared
    from learning.core.database import set_write_intent

    @app.before_request
    def _begin_request():
        # Requests that may write take SQLite's write lock when their transaction begins.
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        writes = getattr(view, "writes_on_get", False)
        set_write_intent(writes or request.method not in {"GET", "HEAD", "OPTIONS"})

    @app.teardown_request
    def _end_request(_exc):
        set_write_intent(False)

    app.before_request(check_view_declared)
    app.before_request(require_password_change)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), geolocation=(), microphone=()")
        if request.endpoint != "static":
            headers.setdefault("Cache-Control", "no-store")
        return response


def register_error_handlers(app: Flask) -> None:
    from flask_babel import gettext as _

    from learning.core.views import render_error

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_error(
            BadRequest(
                _(
                    "Formulir sudah kedaluwarsa atau tidak sah. "
                    "Muat ulang halaman, lalu kirim sekali lagi."
                )
            )
        )

    app.register_error_handler(HTTPException, render_error)


def register_template_helpers(app: Flask) -> None:
    @app.template_filter("wib")
    def _wib(value, fmt: str = "d MMM y, HH.mm"):
        """Show a UTC datetime in the configured time zone (WIB by default)."""
        if value is None:
            return "–"
        if "H" not in fmt:  # a date alone needs no time zone
            return format_datetime(value, fmt)
        if app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Jakarta":
            return format_datetime(value, fmt) + " WIB"
        return format_datetime(value, fmt + " zzzz")

    @app.template_filter("score")
    def _score(value):
        """Show a percentage score as people write it: 100, 83,3 (or 83.3 in English)."""
        return "–" if value is None else format_decimal(value, "#,##0.#")

    @app.template_global()
    def csrf_form():
        """A hidden CSRF field for small POST-only forms (buttons)."""
        from flask_wtf.csrf import generate_csrf
        from markupsafe import Markup

        return Markup('<input type="hidden" name="csrf_token" value="%s">') % generate_csrf()

    @app.context_processor
    def _globals():
        from flask_babel import get_locale

        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}


def register_cli(app: Flask) -> None:
    from learning.cli import register_commands

    register_commands(app)
