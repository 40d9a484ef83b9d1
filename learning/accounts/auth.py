"""Flask-Login wiring: loading the user of a session, and forcing a password change."""

from flask import flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from learning.accounts.models import User, parse_session_id
from learning.extensions import db, login_manager

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Silakan masuk untuk membuka halaman itu.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

# Endpoints an account that must change its password may still reach.
_PASSWORD_CHANGE_ALLOWED = {"accounts.password", "accounts.logout", "static", "core.set_language"}


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    user = db.session.get(User, parsed[0])
    if user is None or user.session_token != parsed[1] or not user.is_active_account:
        return None
    return user


def require_password_change():
    """Send an account with a temporary password to the change-password page first."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in _PASSWORD_CHANGE_ALLOWED
    ):
        flash(_l("Ganti kata sandi sementara Anda sebelum melanjutkan."), "info")
        return redirect(url_for("accounts.password"))
    return None
