"""What the office's pages read: the dashboard's villages, figures and exports, one village's
events, people and history, an officer's villages. Nothing here writes, except that
`ensure_fresh` brings progress up to date before a page shows it."""

import re
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import lazyload

from learning.accounts.models import User, officer_village
from learning.core.access import Role
from learning.core.time import add_months, today_local
from learning.events.models import Event, Participation, event_village
from learning.extensions import db
from learning.regions.models import District, Regency, Village
from learning.regions.services import work_area_codes
from learning.villages import rules
from learning.villages.models import (
    EventSummary,
    VillageCertificate,
    VillageDesignation,
    VillageProgress,
)
from learning.villages.services import (
    certificate_status,
    ensure_fresh,
    get_criteria,
    get_designation,
    list_certificates,
    results_of,
)

# ---- the dashboard --------------------------------------------------------------------------

SORTS = {
    "kode": (Village.code,),
    "nama": (Village.name, Village.code),
    "kemajuan": (func.coalesce(VillageProgress.criteria_met, 0).desc(), Village.code),
    "peserta": (func.coalesce(VillageProgress.participants, 0).desc(), Village.code),
    "acara": (VillageProgress.last_event_on.desc().nulls_last(), Village.code),
}
PAGE_SIZE = 50


@dataclass
class Filters:
    regency: str = ""
    district: str = ""
    status: str = ""
    officer: str = ""
    q: str = ""
    sort: str = "kode"
    page: int = 1


def _filtered(filters: Filters, with_status: bool = True):
    query = (
        select(Village, VillageProgress)
        .join(District, District.code == Village.district_code)
        .outerjoin(VillageProgress, VillageProgress.village_code == Village.code)
        .where(District.regency_code.in_(work_area_codes()))
    )
    if filters.regency:
        query = query.where(District.regency_code == filters.regency)
    if filters.district:
        query = query.where(Village.district_code == filters.district)
    if filters.q:
        typed = re.sub(r"([\\%_])", r"\\\1", filters.q.strip())  # typed % and _ are letters
        query = query.where(Village.name.ilike(f"%{typed}%", escape="\\"))
    if filters.officer:
        try:
            officer_id = uuid.UUID(filters.officer)
        except ValueError:
            officer_id = None
        query = query.where(
            Village.code.in_(
                select(officer_village.c.village_code).where(
                    officer_village.c.user_id == officer_id
                )
            )
        )
    if with_status and filters.status:
        status = VillageProgress.status
        if filters.status == rules.Status.BELUM_DIBINA:
            query = query.where(or_(status.is_(None), status == filters.status))
        elif filters.status == "perlu_perhatian":
            query = query.where(VillageProgress.needs_attention.is_(True))
        else:
            query = query.where(status == filters.status)
    return query


def dashboard_page(filters: Filters):
    """One page of villages with their progress, the total, and the number of pages."""
    query = _filtered(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, filters.page), pages)
    rows = db.session.execute(
        query.order_by(*SORTS.get(filters.sort, SORTS["kode"]))
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return rows, total, page, pages


def _in_area(code_column, filters: Filters):
    """Conditions on a village code column for the work area and the regency or district
    chosen: a village's code starts with its district's and its regency's codes, so no join."""
    conditions = [func.substr(code_column, 1, 5).in_(work_area_codes())]
    if filters.regency:
        conditions.append(code_column.startswith(filters.regency + "."))
    if filters.district:
        conditions.append(code_column.startswith(filters.district + "."))
    return conditions


def status_counts(filters: Filters) -> tuple[dict[str, int], int]:
    """Villages by status in the filtered area (the status filter itself left out), and how
    many of them need attention: one query."""
    columns = (
        func.count(),
        func.count().filter(VillageProgress.needs_attention.is_(True)),
    )
    if filters.officer or filters.q:
        sub = _filtered(filters, with_status=False).subquery()
        query = select(sub.c.status, *columns[:1], func.count().filter(sub.c.needs_attention))
        query = query.group_by(sub.c.status)
    else:  # every village of the work area has a progress row (ensure_fresh): no join needed
        query = (
            select(VillageProgress.status, *columns)
            .where(*_in_area(VillageProgress.village_code, filters))
            .group_by(VillageProgress.status)
        )
    counts: dict[str, int] = {}
    attention = 0
    for status, count, needing in db.session.execute(query):
        key = status or rules.Status.BELUM_DIBINA.value  # no row yet: nothing happened there
        counts[key] = counts.get(key, 0) + count
        attention += needing
    return {s.value: counts.get(s.value, 0) for s in rules.STATUS_ORDER}, attention


def monthly_figures(filters: Filters, months: int = 12):
    """Participants and mean pre/post scores per month of the last `months`, from summaries."""
    today = today_local()
    first = date(today.year, today.month, 1)

    start = add_months(first, -(months - 1))
    query = (
        select(
            EventSummary.held_on,
            func.sum(EventSummary.participants),
            func.sum(EventSummary.pairs),
            func.sum(EventSummary.pre_mean * EventSummary.pairs),
            func.sum(EventSummary.post_mean * EventSummary.pairs),
        )
        .where(
            EventSummary.is_held.is_(True),
            EventSummary.held_on >= start,
            EventSummary.held_on <= today,
            *_in_area(EventSummary.village_code, filters),
        )
        .group_by(EventSummary.held_on)
    )
    buckets = {add_months(start, i): [0, 0, 0.0, 0.0] for i in range(months)}
    for held_on, participants, pairs, pre_sum, post_sum in db.session.execute(query):
        bucket = buckets[date(held_on.year, held_on.month, 1)]
        bucket[0] += int(participants or 0)
        bucket[1] += int(pairs or 0)
        bucket[2] += float(pre_sum or 0)
        bucket[3] += float(post_sum or 0)
    return [
        {
            "month": month,
            "participants": p,
            "pre": round(pre / pairs, 1) if pairs else None,
            "post": round(post / pairs, 1) if pairs else None,
        }
        for month, (p, pairs, pre, post) in buckets.items()
    ]


def regencies_of_work_area() -> list[Regency]:
    return list(
        db.session.scalars(
            select(Regency).where(Regency.code.in_(work_area_codes())).order_by(Regency.code)
        )
    )


DISTRICTS_WITHOUT_REGENCY = 5  # list every district only for a work area this small


def districts_of(regency_code: str | None) -> list[District]:
    """The districts to choose from: of the chosen regency, or of a small work area."""
    codes = [regency_code] if regency_code else work_area_codes()
    if len(codes) > DISTRICTS_WITHOUT_REGENCY:
        return []
    return list(
        db.session.scalars(
            select(District).where(District.regency_code.in_(codes)).order_by(District.code)
        )
    )


def export_rows(filters: Filters):
    """Every village of the filtered area with its criteria: rows for CSV and XLSX."""
    criteria = get_criteria()
    codes = _filtered(filters).with_only_columns(Village.code).scalar_subquery()
    designations = {
        d.village_code: d
        for d in db.session.scalars(
            select(VillageDesignation)
            .options(lazyload(VillageDesignation.village))
            .where(VillageDesignation.village_code.in_(codes))
        )
    }
    certificates = {}  # the latest of each village
    for certificate in db.session.scalars(
        select(VillageCertificate)
        .options(lazyload(VillageCertificate.village))
        .where(VillageCertificate.village_code.in_(codes))
        .order_by(VillageCertificate.issued_on, VillageCertificate.created_at)
    ):
        certificates[certificate.village_code] = certificate
    for village, row in db.session.execute(_filtered(filters).order_by(Village.code)):
        designation = designations.get(village.code)
        results = results_of(row, designation, criteria)
        certificate = certificates.get(village.code)
        yield (
            village.code,
            village.name,
            village.district.name,
            village.district.regency.name,
            row.status if row else rules.Status.BELUM_DIBINA.value,
            designation.decree_number if designation else "",
            designation.decree_date if designation else None,
            *(r.value for r in results),
            sum(r.met for r in results),
            row.participants if row else 0,
            row.last_event_on if row else None,
            certificate.number if certificate else "",
            certificate.valid_until if certificate else None,
            CERTIFICATE_STATUS[certificate_status(certificate)] if certificate else "",
        )


CERTIFICATE_STATUS = {"valid": "berlaku", "expired": "kedaluwarsa", "revoked": "dicabut"}
EXPORT_HEADER = [
    "kode_desa",
    "desa",
    "kecamatan",
    "kabupaten",
    "status",
    "nomor_sk",
    "tanggal_sk",
    "petugas_bersertifikat",
    "acara_dalam_jangka_waktu",
    "warga_lulus_post_test",
    "rerata_gain_ternormalisasi",
    "topik_tercakup",
    "kriteria_terpenuhi",
    "peserta_dalam_jangka_waktu",
    "acara_terakhir",
    "nomor_sertifikat",
    "sertifikat_berlaku_sampai",
    "status_sertifikat",
]


# ---- one village ----------------------------------------------------------------------------


def village_events(code: str) -> list[tuple[Event, EventSummary | None]]:
    return list(
        db.session.execute(
            select(Event, EventSummary)
            .join(event_village, event_village.c.event_id == Event.id)
            .outerjoin(EventSummary, EventSummary.event_id == Event.id)
            .where(event_village.c.village_code == code)
            .order_by(Event.held_on.desc())
        ).all()
    )


def village_officers(code: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(officer_village, officer_village.c.user_id == User.id)
            .where(officer_village.c.village_code == code, User.role == Role.OFFICER)
            .order_by(User.display_name)
        )
    )


def village_demographics(code: str) -> dict[str, dict[str, int]]:
    """Counted participants of the village's events by gender and by age group."""
    base = (
        select(Participation)
        .join(event_village, event_village.c.event_id == Participation.event_id)
        .where(
            event_village.c.village_code == code,
            Participation.withdrawn_at.is_(None),
            Participation.is_counted.is_(True),
        )
        .subquery()
    )
    out = {}
    for attr in ("gender", "age_group"):
        column = base.c[attr]
        out[attr] = {
            value or "–": count
            for value, count in db.session.execute(
                select(column, func.count()).group_by(column).order_by(column)
            )
        }
    return out


def officer_villages(user: User):
    """The officer's villages with their progress and what each still needs."""
    ensure_fresh()
    criteria = get_criteria()
    codes = [v.code for v in user.villages]
    rows = {
        r.village_code: r
        for r in db.session.scalars(
            select(VillageProgress).where(VillageProgress.village_code.in_(codes))
        )
    }
    designations = {
        d.village_code: d
        for d in db.session.scalars(
            select(VillageDesignation).where(VillageDesignation.village_code.in_(codes))
        )
    }
    return [
        (
            village,
            rows.get(village.code),
            results_of(rows.get(village.code), designations.get(village.code), criteria),
        )
        for village in user.villages
    ]


@dataclass
class TimelineItem:
    day: date
    kind: str  # event | designated | issued | revoked
    title: str
    link: tuple | None = None  # (endpoint, kwargs)


def village_timeline(code: str) -> list[TimelineItem]:
    """What happened in the village's programme, newest first."""
    from learning.core.time import WIB

    items = [
        TimelineItem(event.held_on, "event", event.title, ("events.show", {"event_id": event.id}))
        for event, _summary in village_events(code)
    ]
    designation = get_designation(code)
    if designation is not None:
        items.append(TimelineItem(designation.decree_date, "designated", designation.decree_number))
    for certificate in list_certificates(code):
        link = ("villages.certificate", {"certificate_id": certificate.id})
        items.append(TimelineItem(certificate.issued_on, "issued", certificate.number, link))
        if certificate.revoked_at is not None:
            day = certificate.revoked_at.astimezone(WIB).date()
            items.append(TimelineItem(day, "revoked", certificate.number, link))
    order = {"designated": 0, "event": 1, "issued": 2, "revoked": 3}  # on the same day
    return sorted(items, key=lambda i: (i.day, order[i.kind]), reverse=True)
