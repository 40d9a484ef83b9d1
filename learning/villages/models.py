"""The office's programme for villages: criteria, designations, progress, certificates."""

import uuid

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.core.ids import StableIdMixin
from learning.core.time import UTCDateTime, utcnow
from learning.extensions import db
from learning.regions.models import Village

DEFAULT_TOPICS = ["paspor", "kerja-luar-negeri", "tppo", "tppm", "pelaporan"]


class CertificationCriteria(db.Model):
    """The office's own criteria (no national standard exists): one row, edited by admins."""

    __tablename__ = "certification_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    min_certified_officers: Mapped[int] = mapped_column(default=1)
    min_events: Mapped[int] = mapped_column(default=2)
    min_passed: Mapped[int] = mapped_column(default=30)
    # Where a village's adult population is known: this share of it instead of `min_passed`.
    passed_share_percent: Mapped[float | None] = mapped_column()
    min_gain: Mapped[float] = mapped_column(default=0.3)
    required_topics: Mapped[list] = mapped_column(JSON, default=lambda: list(DEFAULT_TOPICS))
    window_months: Mapped[int] = mapped_column(default=12)
    validity_months: Mapped[int] = mapped_column(default=24)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_by_name: Mapped[str | None] = mapped_column(String(120))


class CertificateSettings(db.Model):
    """How certificates look: signatory, number format, logo. One row, edited by admins."""

    __tablename__ = "certificate_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    signatory_name: Mapped[str] = mapped_column(String(120), default="")
    signatory_nip: Mapped[str] = mapped_column(String(30), default="")
    signatory_title: Mapped[str] = mapped_column(String(150), default="Kepala Kantor")
    place: Mapped[str] = mapped_column(String(80), default="Kuala Tungkal")
    number_format: Mapped[str] = mapped_column(
        String(120), default="{nomor:03}/DSHK/KKT/{bulan_romawi}/{tahun}"
    )
    # A PNG or JPEG as a data: URL (checked on upload); shown on the printed certificate.
    logo_data_url: Mapped[str | None] = mapped_column(Text)


class VillageDesignation(StableIdMixin, db.Model):
    """A village designated "desa binaan" by the office's decree."""

    __tablename__ = "village_designation"

    village_code: Mapped[str] = mapped_column(ForeignKey("village.code"), unique=True)
    decree_number: Mapped[str] = mapped_column(String(120))
    decree_date = mapped_column(Date, nullable=False)
    # Entered by an admin where known: criterion 3 then counts a share of it.
    adult_population: Mapped[int | None] = mapped_column()
    designated_by_name: Mapped[str | None] = mapped_column(String(120))

    village: Mapped[Village] = relationship(lazy="joined")


class EventSummary(db.Model):
    """One event's figures, kept up to date as results arrive (dashboards never read answers)."""

    __tablename__ = "event_summary"

    event_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    village_code: Mapped[str] = mapped_column(ForeignKey("village.code"))
    held_on = mapped_column(Date, nullable=False)
    is_held: Mapped[bool] = mapped_column(default=False)  # opened at least once
    participants: Mapped[int] = mapped_column(default=0)  # counted participations
    pretests: Mapped[int] = mapped_column(default=0)
    posttests: Mapped[int] = mapped_column(default=0)
    passed: Mapped[int] = mapped_column(default=0)
    pre_mean: Mapped[float | None] = mapped_column()  # over participants with both tests
    post_mean: Mapped[float | None] = mapped_column()
    pairs: Mapped[int] = mapped_column(default=0)
    normalised_gain: Mapped[float | None] = mapped_column()
    topics: Mapped[list] = mapped_column(JSON, default=list)
    computed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (Index("ix_event_summary_village_held", "village_code", "held_on"),)


class ProgressPending(db.Model):
    """An event, village or officer whose figures changed since progress was last computed.

    Written in the transaction of the change (one small insert, so a tablet's submit stays
    quick); the pages that show progress compute it first (`progress.catch_up`).
    """

    __tablename__ = "progress_pending"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # event | village | officer
    key: Mapped[str] = mapped_column(String(40), primary_key=True)


class VillageProgress(db.Model):
    """A village's criteria values and status, computed by SQL aggregation and kept current."""

    __tablename__ = "village_progress"

    village_code: Mapped[str] = mapped_column(ForeignKey("village.code"), primary_key=True)
    certified_officers: Mapped[int] = mapped_column(default=0)
    events_held: Mapped[int] = mapped_column(default=0)
    passed_villagers: Mapped[int] = mapped_column(default=0)
    passed_target: Mapped[int] = mapped_column(default=0)
    mean_gain: Mapped[float | None] = mapped_column()
    topics: Mapped[list] = mapped_column(JSON, default=list)
    participants: Mapped[int] = mapped_column(default=0)
    criteria_met: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="belum_dibina")
    needs_attention: Mapped[bool] = mapped_column(default=False)
    last_event_on = mapped_column(Date, nullable=True)
    computed_on = mapped_column(Date, nullable=False)  # windows move daily: stale after that
    computed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (Index("ix_village_progress_status", "status", "criteria_met"),)


class VillageCertificate(StableIdMixin, db.Model):
    """A certificate with a snapshot of the criteria at issue, verified publicly by its token."""

    __tablename__ = "village_certificate"

    number: Mapped[str] = mapped_column(String(120), unique=True)
    year: Mapped[int] = mapped_column()
    sequence: Mapped[int] = mapped_column()
    village_code: Mapped[str] = mapped_column(ForeignKey("village.code"), index=True)
    verify_token: Mapped[str] = mapped_column(String(40), unique=True)
    issued_on = mapped_column(Date, nullable=False)
    valid_until = mapped_column(Date, nullable=False)
    # [{"key", "value", "target", "met"}] as they stood at issue.
    snapshot: Mapped[list] = mapped_column(JSON)
    override_reason: Mapped[str | None] = mapped_column(Text)
    issued_by_name: Mapped[str | None] = mapped_column(String(120))
    # Copied at issue, so a reprint shows what was signed.
    office_name: Mapped[str] = mapped_column(String(150))
    signatory_name: Mapped[str] = mapped_column(String(120))
    signatory_nip: Mapped[str] = mapped_column(String(30))
    signatory_title: Mapped[str] = mapped_column(String(150))
    place: Mapped[str] = mapped_column(String(80))
    revoked_at = mapped_column(UTCDateTime, nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_name: Mapped[str | None] = mapped_column(String(120))

    village: Mapped[Village] = relationship(lazy="joined")

    __table_args__ = (Index("ix_village_certificate_year_seq", "year", "sequence", unique=True),)
