"""Official administrative areas and the immigration office's work area."""

import enum

from sqlalchemy import Column, Enum, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.extensions import db


class VillageKind(enum.StrEnum):
    """Told apart by the first digit of the fourth part of the village code."""

    KELURAHAN = "kelurahan"
    DESA = "desa"
    DESA_ADAT = "desa_adat"

    @classmethod
    def from_code(cls, code: str) -> "VillageKind":
        first = code.rsplit(".", 1)[-1][:1]
        kinds = {"1": cls.KELURAHAN, "2": cls.DESA, "3": cls.DESA_ADAT}
        if first not in kinds:
            raise ValueError(f"kode desa tidak dikenal: {code}")
        return kinds[first]


class Province(db.Model):
    __tablename__ = "province"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Regency(db.Model):
    __tablename__ = "regency"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("province.code"), index=True)
    name: Mapped[str] = mapped_column(String(100))

    province: Mapped[Province] = relationship(lazy="joined")


class District(db.Model):
    __tablename__ = "district"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    regency_code: Mapped[str] = mapped_column(ForeignKey("regency.code"), index=True)
    name: Mapped[str] = mapped_column(String(100))

    regency: Mapped[Regency] = relationship(lazy="joined")


class Village(db.Model):
    __tablename__ = "village"

    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[VillageKind] = mapped_column(
        Enum(
            VillageKind,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )

    district: Mapped[District] = relationship(lazy="joined")

    @property
    def regency_code(self) -> str:
        return self.code[:5]

    @property
    def label(self) -> str:
        """Return 'Desa X, Kec. Y' as people write it."""
        prefix = {"kelurahan": "Kelurahan", "desa": "Desa", "desa_adat": "Desa Adat"}[self.kind]
        return f"{prefix} {self.name}, Kec. {self.district.name}"


office_regency = Table(
    "office_regency",
    db.metadata,
    Column("office_id", ForeignKey("office.id", ondelete="CASCADE"), primary_key=True),
    Column("regency_code", ForeignKey("regency.code"), primary_key=True),
)


class Office(db.Model):
    """The immigration office that runs this app, and the regencies of its work area."""

    __tablename__ = "office"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))

    regencies: Mapped[list[Regency]] = relationship(
        secondary=office_regency, order_by=Regency.code, lazy="selectin"
    )
