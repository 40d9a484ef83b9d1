"""A conflict's versions as an admin reads them: field names and values in words."""

import uuid
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from learning.accounts.models import User
from learning.extensions import db
from learning.regions.services import get_villages

# In the order shown; fields not named here (ids, keys for matching) are not shown.
LABELS = {
    "title": _l("Judul"),
    "display_name": _l("Nama"),
    "village_code": _l("Desa"),
    "village_codes": _l("Desa yang dicakup"),
    "held_on": _l("Tanggal acara"),
    "place": _l("Tempat"),
    "status": _l("Status"),
    "officer_ids": _l("Petugas"),
    "lesson_slugs": _l("Pelajaran"),
    "pretest_slug": _l("Tes awal"),
    "posttest_slug": _l("Tes akhir"),
    "closed_at": _l("Ditutup"),
    "card_code": _l("Kode kartu"),
    "gender": _l("Jenis kelamin"),
    "age_group": _l("Kelompok umur"),
    "phone": _l("Telepon"),
    "claimed": _l("Hanya kartu ditunjukkan"),
    "anonymised_at": _l("Data dihapus"),
    "user_id": _l("Warga"),
    "is_counted": _l("Dihitung"),
    "registered_by": _l("Didaftarkan oleh"),
    "step": _l("Langkah"),
    "text_version": _l("Naskah persetujuan"),
    "given_by": _l("Diberikan oleh"),
    "withdrawn_at": _l("Ditarik"),
    "quiz": _l("Kuis"),
    "items": _l("Soal"),
    "submitted_at": _l("Dikumpulkan"),
    "correct_count": _l("Jawaban benar"),
    "total": _l("Jumlah soal"),
    "score": _l("Nilai"),
    "passed": _l("Lulus"),
    "choice_ids": _l("Pilihan"),
    "is_correct": _l("Benar"),
    "answered_at": _l("Dijawab"),
    "source": _l("Sumber"),
    "created_at": _l("Dibuat (jam laptop)"),
}
STATUS = {"scheduled": _l("dijadwalkan"), "open": _l("berlangsung"), "closed": _l("ditutup")}


def _names(contents: list[dict]) -> dict:
    ids = set()
    for content in contents:
        ids.update(content.get("officer_ids") or ())
        if content.get("user_id"):
            ids.add(content["user_id"])
    found = db.session.execute(
        select(User.id, User.display_name).where(User.id.in_([uuid.UUID(i) for i in ids]))
    )
    return {str(i): name for i, name in found}


def _villages(contents: list[dict]) -> dict:
    codes = set()
    for content in contents:
        codes.update(content.get("village_codes") or ())
        if content.get("village_code"):
            codes.add(content["village_code"])
    return {v.code: v.label for v in get_villages(sorted(codes))}


def rows(contents: list[dict]) -> list[list[tuple]]:
    """For each version: [(label, value as text, differs from another version)]."""
    wib = current_app.jinja_env.filters["wib"]
    names, villages = _names(contents), _villages(contents)

    def text(key, value) -> str:
        if value is None or value == []:
            return "–"
        if isinstance(value, bool):
            return _("ya") if value else _("tidak")
        if key.endswith("_at"):
            return wib(datetime.fromisoformat(value), "d MMM y, HH.mm.ss")
        if key == "held_on":
            return wib(date.fromisoformat(value), "d MMMM y")
        if key == "status":
            return str(STATUS.get(value, value))
        if key == "officer_ids":
            return ", ".join(names.get(i, _("petugas tidak dikenal")) for i in value)
        if key == "user_id":
            return names.get(value, value)
        if key in ("village_code", "village_codes"):
            codes = value if isinstance(value, list) else [value]
            return "; ".join(villages.get(c, c) for c in codes)
        if key == "items":
            return _("%(n)s soal", n=len(value))
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return str(value)

    shown = [k for k in LABELS if any(k in c for c in contents)]
    differing = {k for k in shown if len({repr(c.get(k)) for c in contents}) > 1}
    return [[(LABELS[k], text(k, c.get(k)), k in differing) for k in shown] for c in contents]
