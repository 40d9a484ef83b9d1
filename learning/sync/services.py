"""Devices (register, enrol, revoke), conflicts (list, resolve), receipts."""

import secrets
import uuid
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from learning.accounts.models import User
from learning.core.access import Role
from learning.core.audit import record_audit
from learning.core.errors import Refused, hash_token
from learning.core.time import utcnow
from learning.extensions import db
from learning.sync import crypto, identity
from learning.sync.models import BundleReceipt, Device

ENROL_CODE_HOURS = 24


class SyncError(Refused):
    """A device or conflict change was refused."""


# ---- devices --------------------------------------------------------------------------------


def list_devices() -> list[Device]:
    return list(
        db.session.scalars(select(Device).order_by(Device.revoked_at.is_not(None), Device.name))
    )


def get_device(device_id) -> Device | None:
    try:
        return db.session.get(Device, uuid.UUID(str(device_id)))
    except ValueError:
        return None


def _officers(officer_ids) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(
                User.id.in_([uuid.UUID(str(i)) for i in officer_ids]), User.role == Role.OFFICER
            )
        )
    )


def register_device(name: str, officer_ids, actor) -> tuple[Device, str]:
    """Record a laptop and make its one-time enrolment code (shown once, valid a day)."""
    name = (name or "").strip()
    if not name:
        raise SyncError(_("Beri nama laptop ini."))
    code = "-".join(secrets.token_hex(3).upper() for _part in range(3))
    device = Device(
        name=name[:80],
        enrol_code_hash=hash_token(code),
        enrol_expires_at=utcnow() + timedelta(hours=ENROL_CODE_HOURS),
        created_by_name=actor.display_name,
        officers=_officers(officer_ids),
    )
    db.session.add(device)
    db.session.flush()
    record_audit(
        actor,
        "device.registered",
        "device",
        device.id,
        name=device.name,
        officers=[o.display_name for o in device.officers],
    )
    return device, code


def set_officers(device: Device, officer_ids, actor) -> None:
    device.officers = _officers(officer_ids)
    record_audit(
        actor,
        "device.officers_changed",
        "device",
        device.id,
        officers=[o.display_name for o in device.officers],
    )
    db.session.flush()


def enrol(code: str, device_key: str, public_key: str) -> tuple[Device, str]:
    """A laptop enrols with its code: the office keeps its public key, it gets its token."""
    device = db.session.scalar(
        select(Device).where(Device.enrol_code_hash == hash_token(code or ""))
    )
    if device is None or device.is_revoked:
        raise SyncError(_("Kode pendaftaran tidak dikenal atau sudah dipakai."), 403)
    if device.enrol_expires_at < utcnow():
        raise SyncError(_("Kode pendaftaran sudah kedaluwarsa. Minta kode baru ke admin."), 403)
    try:
        if len(bytes.fromhex(public_key)) != 32:
            raise ValueError
    except (TypeError, ValueError):
        raise SyncError(_("Kunci publik laptop tidak sah.")) from None
    device_key = (device_key or "").strip()[:40]
    taken = db.session.scalar(
        select(Device).where(Device.device_key == device_key, Device.id != device.id)
    )
    if not device_key or taken is not None or device_key == identity.device_key():
        raise SyncError(_("ID perangkat ini sudah dipakai laptop lain."), 409)
    token = secrets.token_urlsafe(32)
    device.device_key = device_key
    device.public_key = public_key
    device.token_hash = hash_token(token)
    device.enrol_code_hash = None
    device.enrolled_at = device.last_seen_at = utcnow()
    record_audit(None, "device.enrolled", "device", device.id, device_key=device_key)
    db.session.flush()
    return device, token


def device_for_token(token: str | None) -> Device | None:
    """The enrolled, unrevoked device presenting this token."""
    if not token:
        return None
    device = db.session.scalar(select(Device).where(Device.token_hash == hash_token(token)))
    if device is None or device.is_revoked:
        return None
    return device


def revoke_device(device: Device, reason: str, actor) -> None:
    """A lost or stolen laptop: its token stops working and its bundles are refused."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise SyncError(_("Tulis alasan pencabutan."))
    if device.is_revoked:
        raise SyncError(_("Perangkat ini sudah dicabut."), 409)
    device.revoked_at = utcnow()
    device.revoked_reason = reason[:500]
    device.revoked_by_name = actor.display_name
    device.token_hash = None
    device.enrol_code_hash = None
    record_audit(actor, "device.revoked", "device", device.id, name=device.name, reason=reason)
    db.session.flush()


def office_public_key() -> str:
    return crypto.public_hex(identity.office_key())


# ---- receipts and conflicts -----------------------------------------------------------------


def list_receipts(limit: int = 100) -> list[BundleReceipt]:
    return list(
        db.session.scalars(
            select(BundleReceipt).order_by(BundleReceipt.received_at.desc()).limit(limit)
        )
    )
