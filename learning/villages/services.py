"""The office's programme: criteria, designations, certificates, dashboard queries."""

import base64
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from learning.core.audit import record_audit
from learning.core.database import write_intent
from learning.core.errors import Refused
from learning.core.time import today_local, utcnow
from learning.extensions import db
from learning.regions.models import Village
from learning.regions.services import get_office, work_area_codes
from learning.villages import progress, rules
from learning.villages.models import (
    CertificateSettings,
    CertificationCriteria,
    VillageCertificate,
    VillageDesignation,
    VillageProgress,
)


class VillageError(Refused):
    """A change to the programme of a village was refused; the message is for the user."""


# ---- criteria and settings ------------------------------------------------------------------


def _the_row(model):
    """The one row of an office-wide table, created with its defaults on first use."""
    row = db.session.get(model, 1)
    if row is None:
        row = model(id=1)
        db.session.add(row)
        db.session.flush()
    return row


def get_criteria_row() -> CertificationCriteria:
    """The office's criteria."""
    return _the_row(CertificationCriteria)


def get_criteria() -> rules.Criteria:
    return progress.criteria_of(db.session.get(CertificationCriteria, 1))


CRITERIA_FIELDS = (
    "min_certified_officers",
    "min_events",
    "min_passed",
    "passed_share_percent",
    "min_gain",
    "required_topics",
    "window_months",
    "validity_months",
)


def update_criteria(values: dict, actor) -> bool:
    """Change the criteria (audited, before and after) and recompute every village."""
    row = get_criteria_row()
    before = {k: getattr(row, k) for k in CRITERIA_FIELDS}
    before["required_topics"] = sorted(before["required_topics"] or [])
    after = {k: values.get(k, before[k]) for k in CRITERIA_FIELDS}
    after["required_topics"] = sorted(after["required_topics"] or [])
    if not after["required_topics"]:
        raise VillageError(_("Pilih sekurang-kurangnya satu topik wajib."))
    if after == before:
        return False
    for key, value in after.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    row.updated_by_name = actor.display_name
    changed = {k: [before[k], after[k]] for k in CRITERIA_FIELDS if before[k] != after[k]}
    record_audit(actor, "criteria.changed", "criteria", 1, **{k: v for k, v in changed.items()})
    db.session.flush()
    progress.refresh_villages(db.session(), None)
    return True


def get_certificate_settings() -> CertificateSettings:
    """How certificates look: signatory, number format, logo."""
    return _the_row(CertificateSettings)


LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
LOGO_MAX_BYTES = 300_000


def logo_data_url(data: bytes) -> str:
    """Check an uploaded logo (PNG or JPEG, at most 300 KB) and return it as a data: URL."""
    if len(data) > LOGO_MAX_BYTES:
        raise VillageError(_("Logo terlalu besar: paling besar 300 KB."))
    for magic, mimetype in LOGO_TYPES.items():
        if data.startswith(magic):
            return f"data:{mimetype};base64,{base64.b64encode(data).decode('ascii')}"
    raise VillageError(_("Logo harus berkas PNG atau JPEG."))


def update_certificate_settings(values: dict, logo: bytes | None, remove_logo: bool, actor):
    row = get_certificate_settings()
    problem = rules.check_number_format(values["number_format"])
    if problem:
        raise VillageError(
            _(
                "Format nomor tidak dapat dipakai. Gunakan {nomor} dan {tahun}, boleh juga "
                "{bulan}, {bulan_romawi} dan {kode_desa}; misalnya {nomor:03}/DSHK/{tahun}."
            )
        )
    changed = []
    for key in ("signatory_name", "signatory_nip", "signatory_title", "place", "number_format"):
        value = (values.get(key) or "").strip()
        if getattr(row, key) != value:
            changed.append(key)
            setattr(row, key, value)
    if logo:
        row.logo_data_url = logo_data_url(logo)
        changed.append("logo")
    elif remove_logo and row.logo_data_url:
        row.logo_data_url = None
        changed.append("logo")
    if changed:
        record_audit(actor, "certificate.settings_changed", "settings", 1, fields=changed)
    return changed


# ---- designation ----------------------------------------------------------------------------


def get_village(code: str) -> Village | None:
    return db.session.get(Village, code)


def in_work_area(village: Village) -> bool:
    return village.code[:5] in work_area_codes()


def get_designation(code: str) -> VillageDesignation | None:
    return db.session.scalars(
        select(VillageDesignation).where(VillageDesignation.village_code == code)
    ).first()


def designate(village: Village, decree_number: str, decree_date: date, adult_population, actor):
    """Designate a village "desa binaan" by decree, or correct the decree's details (audited)."""
    if not in_work_area(village):
        raise VillageError(_("Desa ini di luar wilayah kerja kantor."), 403)
    designation = get_designation(village.code)
    details = {
        "decree_number": decree_number.strip(),
        "decree_date": decree_date,
        "adult_population": adult_population or None,
    }
    if designation is None:
        designation = VillageDesignation(
            id=uuid.uuid4(), village_code=village.code, designated_by_name=actor.display_name
        )
        db.session.add(designation)
        action = "village.designated"
    else:
        action = "village.designation_changed"
        if all(getattr(designation, k) == v for k, v in details.items()):
            return designation
    for key, value in details.items():
        setattr(designation, key, value)
    record_audit(actor, action, "village", village.code, **details)
    db.session.flush()
    return designation


# ---- progress and status --------------------------------------------------------------------


@dataclass
class VillageState:
    village: Village
    progress: VillageProgress | None
    designation: VillageDesignation | None
    results: list[rules.Result]
    status: rules.Status
    needs_attention: bool
    certificate: VillageCertificate | None  # the latest


def _facts(row: VillageProgress | None, designation: VillageDesignation | None) -> rules.Facts:
    if row is None:
        return rules.Facts(adult_population=designation.adult_population if designation else None)
    return rules.Facts(
        certified_officers=row.certified_officers,
        events_held=row.events_held,
        passed_villagers=row.passed_villagers,
        mean_gain=row.mean_gain,
        topics=frozenset(row.topics or ()),
        adult_population=designation.adult_population if designation else None,
    )


def results_of(row: VillageProgress | None, designation=None, criteria=None) -> list[rules.Result]:
    return rules.evaluate(criteria or get_criteria(), _facts(row, designation))


def in_own_write_transaction(work) -> None:
    """Run `work(session)` in a transaction of its own that may write, and commit it.

    Pages that read progress call this only when it is stale (once a day, or after the work
    area grew): on SQLite the transaction then begins IMMEDIATE instead of failing to upgrade
    a read lock.
    """
    db.session.rollback()
    with write_intent():
        work(db.session())
        db.session.commit()


def ensure_fresh() -> None:
    """Bring progress up to date before a page shows it (a write only when something changed)."""
    session = db.session()
    if progress.has_pending(session) or progress.is_stale(session):
        in_own_write_transaction(progress.bring_up_to_date)


def village_state(village: Village, recompute: bool = False) -> VillageState:
    """A village's criteria and status; `recompute` counts again from the data first (in the
    current transaction, which must be one that may write)."""
    if recompute:
        progress.catch_up(db.session())
        progress.refresh_villages(db.session(), [village.code])
    else:
        ensure_fresh()
    row = db.session.get(VillageProgress, village.code)
    db.session.refresh(row)
    designation = get_designation(village.code)
    return VillageState(
        village=village,
        progress=row,
        designation=designation,
        results=results_of(row, designation),
        status=rules.Status(row.status),
        needs_attention=row.needs_attention,
        certificate=latest_certificate(village.code),
    )


# ---- certificates ---------------------------------------------------------------------------


def latest_certificate(code: str) -> VillageCertificate | None:
    return db.session.scalars(
        select(VillageCertificate)
        .where(VillageCertificate.village_code == code)
        .order_by(VillageCertificate.issued_on.desc(), VillageCertificate.created_at.desc())
    ).first()


def list_certificates(code: str) -> list[VillageCertificate]:
    return list(
        db.session.scalars(
            select(VillageCertificate)
            .where(VillageCertificate.village_code == code)
            .order_by(VillageCertificate.issued_on.desc(), VillageCertificate.created_at.desc())
        )
    )


def certificate_status(certificate: VillageCertificate, today: date | None = None) -> str:
    """valid | expired | revoked."""
    if certificate.revoked_at is not None:
        return "revoked"
    return "valid" if certificate.valid_until >= (today or today_local()) else "expired"


def issue_certificate(village: Village, actor, override_reason: str | None = None):
    """Issue a certificate when every criterion is met, or with an override and its reason."""
    state = village_state(village, recompute=True)
    if state.status == rules.Status.TERSERTIFIKASI:
        raise VillageError(_("Desa ini sudah memiliki sertifikat yang berlaku."), 409)
    reason = (override_reason or "").strip() or None
    refusal = rules.can_issue(state.designation is not None, state.results, reason)
    if refusal == "not_designated":
        raise VillageError(_("Tetapkan desa ini sebagai desa binaan dulu (nomor dan tanggal SK)."))
    if refusal == "unmet":
        raise VillageError(
            _("Belum semua kriteria terpenuhi. Untuk tetap menerbitkan, tulis alasannya.")
        )
    if refusal == "reason_too_short":
        raise VillageError(_("Tulis alasan penerbitan tanpa semua kriteria (minimal 20 huruf)."))
    settings = get_certificate_settings()
    if not settings.signatory_name.strip() or not settings.signatory_nip.strip():
        raise VillageError(_("Isi nama dan NIP penandatangan di pengaturan sertifikat dulu."))
    criteria = get_criteria()
    today = today_local()
    sequence = (
        db.session.scalar(
            select(func.max(VillageCertificate.sequence)).where(
                VillageCertificate.year == today.year
            )
        )
        or 0
    ) + 1
    all_met = all(r.met for r in state.results)
    certificate = VillageCertificate(
        id=uuid.uuid4(),
        number=rules.format_number(settings.number_format, sequence, today, village.code),
        year=today.year,
        sequence=sequence,
        village_code=village.code,
        verify_token=secrets.token_urlsafe(18),
        issued_on=today,
        valid_until=rules.valid_until(today, criteria),
        snapshot=[
            {"key": r.key, "value": r.value, "target": r.target, "met": r.met}
            for r in state.results
        ],
        override_reason=None if all_met else reason,
        issued_by_name=actor.display_name,
        office_name=(get_office().name if get_office() else ""),
        signatory_name=settings.signatory_name.strip(),
        signatory_nip=settings.signatory_nip.strip(),
        signatory_title=settings.signatory_title.strip(),
        place=settings.place.strip(),
    )
    db.session.add(certificate)
    record_audit(
        actor,
        "certificate.issued" if all_met else "certificate.issued_override",
        "village",
        village.code,
        number=certificate.number,
        **({} if all_met else {"reason": reason}),
    )
    db.session.flush()
    return certificate


def get_certificate(certificate_id) -> VillageCertificate | None:
    try:
        return db.session.get(VillageCertificate, uuid.UUID(str(certificate_id)))
    except ValueError:
        return None


def get_certificate_by_token(token: str) -> VillageCertificate | None:
    if not token or len(token) > 40 or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        return None  # not a token we make (PostgreSQL refuses a NUL byte, for one)
    return db.session.scalars(
        select(VillageCertificate).where(VillageCertificate.verify_token == token)
    ).first()


def revoke_certificate(certificate: VillageCertificate, reason: str, actor) -> None:
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise VillageError(_("Tulis alasan pencabutan (minimal 10 huruf)."))
    if certificate.revoked_at is not None:
        raise VillageError(_("Sertifikat ini sudah dicabut."), 409)
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason
    certificate.revoked_by_name = actor.display_name
    record_audit(
        actor,
        "certificate.revoked",
        "village",
        certificate.village_code,
        number=certificate.number,
        reason=reason,
    )
    db.session.flush()


def designations_for(codes: list[str] | None = None) -> dict[str, VillageDesignation]:
    """Designations of these villages (every designation when None)."""
    query = select(VillageDesignation)
    if codes is not None:
        query = query.where(VillageDesignation.village_code.in_(codes))
    return {d.village_code: d for d in db.session.scalars(query)}
