"""Importing a bundle at the office: read, check the sender and the seal, then merge.

Every check runs before anything is written; the caller commits the merge, or rolls back on
any error. A bundle already imported is a reported no-op.
"""

import hashlib
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from learning.core.time import utcnow
from learning.extensions import db
from learning.sync import bundle, checks, crypto, identity
from learning.sync.crypto import BundleError
from learning.sync.merge import Merger
from learning.sync.models import BundleReceipt, Device

CLOCK_TOLERANCE_SECONDS = 24 * 3600


@dataclass
class Report:
    """What an import did, for the page, the command and the push reply."""

    bundle_id: uuid.UUID
    event_id: uuid.UUID
    event_title: str
    device_name: str
    already: bool = False
    added: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    conflicts: int = 0
    matched_by_card: int = 0
    clock_offset_seconds: int = 0
    clock_flagged: bool = False

    def as_dict(self) -> dict:
        return {
            "bundle_id": str(self.bundle_id),
            "event_id": str(self.event_id),
            "already": self.already,
            "added": dict(self.added),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "conflicts": self.conflicts,
            "matched_by_card": self.matched_by_card,
            "clock_offset_seconds": self.clock_offset_seconds,
            "clock_flagged": self.clock_flagged,
        }

    def describe(self) -> str:
        if self.already:
            return _(
                "Bundel acara %(title)s sudah pernah diimpor; tidak ada yang berubah.",
                title=self.event_title,
            )
        text = _(
            "Bundel acara %(title)s dari %(device)s diimpor: %(added)s catatan baru, "
            "%(updated)s diperbarui, %(unchanged)s sudah ada, %(conflicts)s konflik.",
            title=self.event_title,
            device=self.device_name,
            added=sum(self.added.values()),
            updated=sum(self.updated.values()),
            unchanged=sum(self.unchanged.values()),
            conflicts=self.conflicts,
        )
        if self.clock_flagged:
            text += " " + _(
                "Jam laptop berbeda %(days)s hari dari jam kantor: periksa tanggal acaranya.",
                days=round(abs(self.clock_offset_seconds) / 86400, 1),
            )
        return text


def import_bundle(data: bytes, *, via: str, actor_name: str, device: Device | None = None):
    """Check a bundle (format, device, signature, encryption, scope), then merge it.

    `device` is the sender proven by its token (push); otherwise the header names it. Raises
    BundleError before anything is written; the caller commits, or rolls back on any error.
    """
    sealed = crypto.read_header(data)
    version = bundle.check_format(sealed.header)
    named = str(sealed.header.get("device", ""))
    sender = device or db.session.scalar(select(Device).where(Device.device_key == named))
    if sender is None or sender.public_key is None:
        raise BundleError(
            _("Bundel ini dari perangkat yang tidak terdaftar di kantor (%(id)s).", id=named[:40])
        )
    if sender.device_key != named:
        raise BundleError(_("Bundel ini milik perangkat lain, bukan perangkat pengirimnya."), 403)
    if sender.is_revoked:
        raise BundleError(
            _(
                "Perangkat %(name)s sudah dicabut; bundelnya ditolak.",
                name=sender.name,
            ),
            403,
        )
    crypto.verify(sealed, sender.public_key)
    payload = bundle.upgrade(crypto.open_payload(sealed, identity.office_key()), version)
    for key in ("bundle_id", "device", "sequence"):
        if payload.get(key) != sealed.header.get(key):
            raise checks.broken(_("isi dan kepalanya tidak cocok."))
    bundle_id = uuid.UUID(payload["bundle_id"])
    known = db.session.get(BundleReceipt, bundle_id)
    if known is not None:
        return Report(bundle_id, known.event_id, known.event_title, sender.name, already=True)
    try:
        merger = Merger(sender.device_key, int(payload["sequence"]), payload)
        checks.check_scope(merger.items, merger.event_id)
        checks.add_question_versions(merger.items, payload.get("question_versions", []))
        report = Report(
            bundle_id,
            merger.event_id,
            merger.items["event"][merger.event_id]["content"]["title"],
            sender.name,
        )
        merger.run(report)
    except BundleError:
        raise
    except IntegrityError as exc:
        raise BundleError(
            _("Bundel tidak dapat digabungkan: %(error)s", error=str(exc.orig)[:200]), 409
        ) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise checks.broken(
            _("isinya tidak sesuai format (%(error)s).", error=type(exc).__name__)
        ) from exc
    exported = datetime.fromisoformat(payload["exported_at"])
    now = utcnow()
    report.clock_offset_seconds = int((exported - now).total_seconds())
    report.clock_flagged = abs(report.clock_offset_seconds) > CLOCK_TOLERANCE_SECONDS
    db.session.add(
        BundleReceipt(
            bundle_id=bundle_id,
            device_id=sender.id,
            sequence=int(payload["sequence"]),
            format_version=version,
            event_id=report.event_id,
            event_title=report.event_title[:200],
            exported_at=exported,
            received_at=now,
            clock_offset_seconds=report.clock_offset_seconds,
            clock_flagged=report.clock_flagged,
            sha256=hashlib.sha256(data).hexdigest(),
            via=via,
            received_by_name=actor_name,
            counts=report.as_dict(),
        )
    )
    sender.last_seen_at = now
    db.session.flush()
    return report
