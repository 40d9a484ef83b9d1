"""Reads and writes of regions and the office's work area."""

from flask import g, has_request_context
from sqlalchemy import func, select

from learning.core.audit import record_audit
from learning.extensions import db
from learning.regions.models import (
    District,
    Office,
    Province,
    Regency,
    Village,
    office_regency,
)

OFFICE_NAME = "Kantor Imigrasi Kelas II TPI Kuala Tungkal"
# Tanjung Jabung Barat, Tanjung Jabung Timur and Muaro Jambi. Whether all of Muaro Jambi
# belongs to this office is unconfirmed, so an admin can change the area.
DEFAULT_WORK_AREA = ("15.06", "15.07", "15.05")


def get_office() -> Office | None:
    """Return the office record (there is one per installation)."""
    return db.session.scalars(select(Office).order_by(Office.id).limit(1)).first()


def ensure_office() -> tuple[Office, bool]:
    """Create the office with its default work area if it does not exist yet."""
    office = get_office()
    if office is not None:
        return office, False
    regencies = list(db.session.scalars(select(Regency).where(Regency.code.in_(DEFAULT_WORK_AREA))))
    office = Office(name=OFFICE_NAME, regencies=regencies)
    db.session.add(office)
    db.session.flush()
    return office, True


def set_work_area(office: Office, regency_codes: list[str], actor) -> None:
    """Replace the office's work area with the given regencies, audited."""
    before = [r.code for r in office.regencies]
    regencies = list(
        db.session.scalars(
            select(Regency).where(Regency.code.in_(regency_codes)).order_by(Regency.code)
        )
    )
    office.regencies = regencies
    if has_request_context():
        g.pop("work_area_codes", None)
    record_audit(
        actor,
        "office.work_area_changed",
        "office",
        office.id,
        before=before,
        after=[r.code for r in regencies],
    )
    db.session.flush()


def work_area_codes(office: Office | None = None) -> list[str]:
    """Return the regency codes of the office's work area (read once per request)."""
    if office is not None:
        return [r.code for r in office.regencies]
    if has_request_context() and "work_area_codes" in g:
        return g.work_area_codes
    codes = list(
        db.session.scalars(
            select(office_regency.c.regency_code)
            .where(office_regency.c.office_id == select(func.min(Office.id)).scalar_subquery())
            .order_by(office_regency.c.regency_code)
        )
    )
    if has_request_context():
        g.work_area_codes = codes
    return codes


def work_area_villages_query(regency_codes: list[str] | None = None):
    """Return a select of the villages in the work area, ordered by code."""
    codes = regency_codes if regency_codes is not None else work_area_codes()
    return (
        select(Village)
        .join(Village.district)
        .where(District.regency_code.in_(codes))
        .order_by(Village.code)
    )


def list_work_area_villages(regency_codes: list[str] | None = None) -> list[Village]:
    """Return every village of the work area."""
    return list(db.session.scalars(work_area_villages_query(regency_codes)))


def count_work_area_villages(regency_codes: list[str] | None = None) -> int:
    """Return how many villages the work area holds."""
    codes = regency_codes if regency_codes is not None else work_area_codes()
    return db.session.scalar(
        select(func.count(Village.code))
        .join(Village.district)
        .where(District.regency_code.in_(codes))
    )


def list_regencies(province_code: str | None = None) -> list[Regency]:
    """Return regencies, optionally of one province, by code."""
    query = select(Regency).order_by(Regency.code)
    if province_code:
        query = query.where(Regency.province_code == province_code)
    return list(db.session.scalars(query))


def get_villages(codes: list[str]) -> list[Village]:
    """Return the villages with these codes."""
    if not codes:
        return []
    return list(
        db.session.scalars(select(Village).where(Village.code.in_(codes)).order_by(Village.code))
    )


def region_counts() -> dict[str, int]:
    """Return how many provinces, regencies, districts and villages are loaded."""
    models = {
        "provinces": Province,
        "regencies": Regency,
        "districts": District,
        "villages": Village,
    }
    return {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in models.items()
    }
