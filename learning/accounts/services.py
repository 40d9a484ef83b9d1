"""Writes and shared reads of accounts. Services flush; the caller commits."""

import secrets
import uuid
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from learning.accounts.models import Role, User
from learning.accounts.throttle import account_key, address_key, get_throttle
from learning.core.audit import record_audit
from learning.core.errors import Refused
from learning.core.time import utcnow
from learning.extensions import db
from learning.regions.services import get_villages

MIN_PASSWORD_LENGTH = 8
# Checked against when the username is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("sadar-imigrasi-dummy")


class AccountError(Refused):
    """A change to an account was refused; the message is for the user."""


@dataclass
class LoginResult:
    user: User | None = None
    error: str | None = None
    throttled: bool = False


def normalize_username(username: str) -> str:
    return username.strip().lower()


def get_user(user_id: uuid.UUID | str) -> User | None:
    """Return the user with this id, or None."""
    try:
        return db.session.get(User, uuid.UUID(str(user_id)))
    except ValueError:
        return None


def get_user_by_username(username: str) -> User | None:
    return db.session.scalars(
        select(User).where(User.username == normalize_username(username))
    ).first()


def list_staff(role: Role | None = None) -> list[User]:
    """Return admins and officers (or one role), active first, by name."""
    roles = [role] if role else [Role.ADMIN, Role.OFFICER]
    query = (
        select(User)
        .where(User.role.in_(roles))
        .order_by(User.is_active_account.desc(), User.display_name)
    )
    return list(db.session.scalars(query))


def staff_names(role: Role) -> list[tuple]:
    """(id, name) of the accounts of one role, active first, by name: for choosing one."""
    return list(
        db.session.execute(
            select(User.id, User.display_name)
            .where(User.role == role)
            .order_by(User.is_active_account.desc(), User.display_name)
        )
    )


def count_users(role: Role, active_only: bool = True) -> int:
    query = select(func.count()).select_from(User).where(User.role == role)
    if active_only:
        query = query.where(User.is_active_account.is_(True))
    return db.session.scalar(query)


def check_new_password(password: str, username: str | None = None) -> None:
    """Refuse a password that is too short or equal to the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Kata sandi minimal %(n)s karakter.", n=MIN_PASSWORD_LENGTH))
    if username and password.strip().lower() == normalize_username(username):
        raise AccountError(_("Kata sandi tidak boleh sama dengan nama pengguna."))


def make_temporary_password() -> str:
    """Return a random password that is easy to read aloud and type (no look-alikes)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3)]
    return "-".join(groups)


def create_user(
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    actor=None,
    must_change_password: bool = True,
) -> User:
    """Create an admin or officer account."""
    if role == Role.VILLAGER:
        raise AccountError(_("Akun warga dibuat lewat pendaftaran acara, bukan di sini."))
    username = normalize_username(username)
    if get_user_by_username(username) is not None:
        raise AccountError(_("Nama pengguna %(u)s sudah dipakai.", u=username))
    check_new_password(password, username)
    user = User(
        username=username,
        display_name=display_name.strip(),
        role=role,
        password_hash=generate_password_hash(password),
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.flush()
    record_audit(actor, "user.created", "user", user.id, username=username, role=role.value)
    return user


def authenticate(username: str, password: str, address: str | None) -> LoginResult:
    """Check a login, counting failures per account and per client address."""
    config = current_app.config
    throttle = get_throttle()
    keys = (account_key(username), address_key(address))
    limits = (config["LOGIN_MAX_FAILURES_PER_ACCOUNT"], config["LOGIN_MAX_FAILURES_PER_ADDRESS"])
    if any(throttle.failures(k) >= limit for k, limit in zip(keys, limits, strict=True)):
        minutes = config["LOGIN_FAILURE_WINDOW_SECONDS"] // 60
        return LoginResult(
            error=_(
                "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(m)s menit.",
                m=minutes,
            ),
            throttled=True,
        )
    user = get_user_by_username(username)
    valid = check_password_hash(
        user.password_hash if user and user.password_hash else _DUMMY_HASH, password
    )
    if not (user and user.password_hash and valid):
        for key in keys:
            throttle.add_failure(key)
        return LoginResult(error=_("Nama pengguna atau kata sandi salah."))
    if not user.is_active_account:
        return LoginResult(error=_("Akun ini sudah dinonaktifkan. Hubungi admin kantor."))
    throttle.clear(keys[0])
    user.last_login_at = utcnow()
    return LoginResult(user=user)


def change_password(user: User, current: str, new: str) -> None:
    """Change one's own password; every other session of the account ends."""
    if not check_password_hash(user.password_hash or _DUMMY_HASH, current):
        raise AccountError(_("Kata sandi saat ini salah."))
    if check_password_hash(user.password_hash, new):
        raise AccountError(_("Kata sandi baru harus berbeda dari yang lama."))
    check_new_password(new, user.username)
    user.password_hash = generate_password_hash(new)
    user.must_change_password = False
    user.rotate_session_token()
    record_audit(user, "user.password_changed", "user", user.id)
    db.session.flush()


def reset_password(user: User, actor) -> str:
    """Give the account a temporary password that must be changed at next login."""
    temporary = make_temporary_password()
    user.password_hash = generate_password_hash(temporary)
    user.must_change_password = True
    user.rotate_session_token()
    record_audit(actor, "user.password_reset", "user", user.id, username=user.username)
    db.session.flush()
    return temporary


def set_active(user: User, active: bool, actor) -> None:
    """Deactivate (ending its sessions) or reactivate an account."""
    if actor is not None and user.id == actor.id and not active:
        raise AccountError(_("Anda tidak dapat menonaktifkan akun Anda sendiri."))
    if user.is_active_account == active:
        return
    user.is_active_account = active
    user.deactivated_at = None if active else utcnow()
    if not active:
        user.rotate_session_token()
    record_audit(
        actor,
        "user.activated" if active else "user.deactivated",
        "user",
        user.id,
        username=user.username,
    )
    db.session.flush()


def set_officer_villages(user: User, village_codes: list[str], actor) -> None:
    """Assign an officer to exactly these villages, audited."""
    if user.role != Role.OFFICER:
        raise AccountError(_("Hanya petugas yang ditugaskan ke desa."))
    before = [v.code for v in user.villages]
    user.villages = get_villages(sorted(set(village_codes)))
    after = [v.code for v in user.villages]
    if before != after:
        record_audit(actor, "user.villages_changed", "user", user.id, before=before, after=after)
    db.session.flush()


def update_profile(user: User, display_name: str, actor) -> None:
    """Change an account's display name, audited."""
    if user.display_name != display_name.strip():
        record_audit(
            actor,
            "user.renamed",
            "user",
            user.id,
            before=user.display_name,
            after=display_name.strip(),
        )
        user.display_name = display_name.strip()
        db.session.flush()


def set_pin(user: User, pin: str) -> None:
    """Set the officer's kiosk PIN: 6 digits, not all the same, not a run like 123456."""
    if not (pin.isdigit() and len(pin) == 6):
        raise AccountError(_("PIN harus 6 angka."))
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise AccountError(_("PIN terlalu mudah ditebak. Pilih 6 angka lain."))
    user.pin_hash = generate_password_hash(pin)
    record_audit(user, "user.pin_set", "user", user.id)
    db.session.flush()


def check_pin(user: User, pin: str, address: str | None) -> LoginResult:
    """Check an officer's PIN, throttled like a password (per account and per address)."""
    config = current_app.config
    throttle = get_throttle()
    keys = (f"pin:{user.id}", address_key(address))
    limits = (config["LOGIN_MAX_FAILURES_PER_ACCOUNT"], config["LOGIN_MAX_FAILURES_PER_ADDRESS"])
    if any(throttle.failures(k) >= limit for k, limit in zip(keys, limits, strict=True)):
        minutes = config["LOGIN_FAILURE_WINDOW_SECONDS"] // 60
        return LoginResult(
            error=_("Terlalu banyak PIN salah. Coba lagi dalam %(m)s menit.", m=minutes),
            throttled=True,
        )
    if not user.pin_hash or not check_password_hash(user.pin_hash, pin or ""):
        for key in keys:
            throttle.add_failure(key)
        return LoginResult(error=_("PIN salah."))
    throttle.clear(keys[0])
    return LoginResult(user=user)
