"""Villagers' personal data (UU 27/2022): find, show, export, correct, withdraw, anonymise."""

from flask_babel import gettext as _
from sqlalchemy import func, select

from learning.accounts.models import User
from learning.core.audit import record_audit
from learning.core.signals import villager_anonymised
from learning.core.time import utcnow
from learning.events import rules
from learning.events.models import Consent, Participation, VillagerProfile
from learning.extensions import db
from quizzes import services as quizzes


def find_villagers(query: str, limit: int = 50) -> list[VillagerProfile]:
    """Find villagers by name or participant card code (admins)."""
    text = (query or "").strip()
    if not text:
        return []
    statement = select(VillagerProfile).where(VillagerProfile.anonymised_at.is_(None))
    code = rules.normalise_code(text)
    statement = statement.join(User, User.id == VillagerProfile.user_id).where(
        (VillagerProfile.card_code == code)
        | (VillagerProfile.name_key.contains(rules.name_key(text)))
    )
    return list(db.session.scalars(statement.order_by(User.display_name).limit(limit)))


def villager_data(profile: VillagerProfile) -> dict:
    """Everything held about a villager, for showing and exporting it to them."""
    participations = db.session.scalars(
        select(Participation).where(Participation.user_id == profile.user_id)
    )
    attempts = quizzes.list_results(profile.user)
    return {
        "nama": profile.user.display_name,
        "desa": profile.village.label if profile.village else None,
        "kode_kartu": profile.card_code,
        "jenis_kelamin": profile.gender,
        "kelompok_umur": profile.age_group,
        "nomor_hp": profile.phone,
        "terdaftar_pada": profile.created_at.isoformat(),
        "acara": [
            {
                "acara": p.event.title,
                "tanggal": p.event.held_on.isoformat(),
                "nomor_peserta": p.number,
                "dihitung": p.is_counted,
                "persetujuan_ditarik": p.withdrawn_at.isoformat() if p.withdrawn_at else None,
            }
            for p in participations
        ],
        "hasil_tes": [
            {"kuis": a.quiz.title, "nilai": a.score, "dikumpulkan": a.submitted_at.isoformat()}
            for a in attempts
        ],
    }


def correct_villager(profile: VillagerProfile, data: dict, actor) -> None:
    """Correct a villager's data at their request, audited (what changed, not the values)."""
    changed = []
    if data.get("name") and data["name"].strip() != profile.user.display_name:
        profile.user.display_name = data["name"].strip()[:120]
        profile.name_key = rules.name_key(data["name"])
        changed.append("nama")
    for key, attr in (
        ("phone", "phone"),
        ("gender", "gender"),
        ("age_group", "age_group"),
        ("village_code", "village_code"),
    ):
        value = (data.get(key) or "").strip() or None
        if value != getattr(profile, attr):
            setattr(profile, attr, value)
            changed.append(attr)
    record_audit(actor, "villager.corrected", "villager", profile.user_id, fields=changed)
    db.session.flush()


def withdraw_consent(profile: VillagerProfile, actor) -> None:
    """Record a withdrawal of consent: the villager's data is no longer processed or counted."""
    now = utcnow()
    for participation in db.session.scalars(
        select(Participation).where(Participation.user_id == profile.user_id)
    ):
        participation.withdrawn_at = participation.withdrawn_at or now
        for consent in db.session.scalars(
            select(Consent).where(Consent.participation_id == participation.id)
        ):
            consent.withdrawn_at = consent.withdrawn_at or now
    record_audit(actor, "villager.consent_withdrawn", "villager", profile.user_id)
    db.session.flush()


def anonymise_villager(profile: VillagerProfile, actor, reason: str) -> None:
    """Remove a villager's personal data; aggregate results stay, without a name."""
    profile.user.display_name = _("Peserta (data dihapus)")
    profile.phone = None
    profile.name_key = ""
    profile.card_code = f"X{profile.id.hex[:11].upper()}"
    profile.anonymised_at = utcnow()
    record_audit(actor, "villager.anonymised", "villager", profile.user_id, reason=reason)
    db.session.flush()
    villager_anonymised.send(profile, user_id=profile.user_id)


def expired_profiles(retention_days: int) -> list[VillagerProfile]:
    """Profiles whose last participation ended longer ago than the retention period."""
    from datetime import timedelta

    limit = utcnow() - timedelta(days=retention_days)
    last = (
        select(Participation.user_id, func.max(Participation.created_at).label("last"))
        .group_by(Participation.user_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(VillagerProfile)
            .join(last, last.c.user_id == VillagerProfile.user_id, isouter=True)
            .where(VillagerProfile.anonymised_at.is_(None))
            .where(func.coalesce(last.c.last, VillagerProfile.created_at) < limit)
        )
    )
