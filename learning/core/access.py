"""Who may open a view. Every view declares it; undeclared views are refused (fail closed).

Roles live here, beside the check, because every room's views name them.
"""

import enum
from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user


class Role(enum.StrEnum):
    ADMIN = "admin"  # office staff
    OFFICER = "officer"  # PIMPASA, assigned to villages
    VILLAGER = "villager"  # participant without a password, created by the event flow


def public(view):
    """Mark a view as open to everyone, logged in or not."""
    view.is_public = True
    return view


def token_access(view):
    """Mark a view whose caller proves access with a secret token it presents, not a login.

    Used for quiz attempts: an answer still queued on a shared tablet must land after the
    tablet has moved on to the next person, whoever is logged in by then.
    """
    view.is_token_access = True
    return view


def device_access(view):
    """Mark a view a field laptop calls with its device token (or its one-time enrolment code),
    never with a login or a cookie."""
    view.is_device_access = True
    return view


def kiosk_access(view):
    """Mark a view of the villager's way, entered with a kiosk or a join-code session."""
    view.is_kiosk_access = True
    return view


def role_required(*roles):
    """Let only logged-in users with one of `roles` in; send others to login or 403."""
    if not roles:
        raise ValueError("role_required needs at least one role")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

    return decorator


def check_view_declared():
    """Refuse a request to a view that declares neither `public` nor `role_required`."""
    if request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is None or request.endpoint == "static":
        return None
    marks = ("is_public", "is_token_access", "is_kiosk_access", "is_device_access", "allowed_roles")
    if any(getattr(view, mark, None) for mark in marks):
        return None
    abort(403)
