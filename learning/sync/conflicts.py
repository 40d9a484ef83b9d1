"""Conflicts: a record whose versions stand side by side, held out of the counts until an
admin keeps one. Opened and closed by the merge; listed, shown and resolved by admins."""

import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update

from learning.core.audit import record_audit
from learning.core.errors import Refused
from learning.core.time import utcnow
from learning.events.models import Event, Participation
from learning.extensions import db
from learning.sync import identity, records
from learning.sync.models import Device, SyncConflict, SyncRecord, SyncVersion
from learning.villages import notes


def settle(conflict, kind, record_id, hashes, event_id, participation_id) -> bool:
    """Open or update the record's conflict when several versions stand (return True), or
    close an open one that a later version made one; `conflict` is the record's, or None."""
    if len(hashes) == 1:
        if conflict is not None and conflict.resolved_at is None:
            conflict.resolved_at = utcnow()
            conflict.resolved_hash = hashes[0]
            conflict.resolved_by_name = _("sinkronisasi")
            conflict.note = _("Versi yang datang kemudian menyatukan isinya.")
        return False
    if conflict is None:
        conflict = SyncConflict(kind=kind, record_id=record_id)
        db.session.add(conflict)
    conflict.event_id = event_id
    conflict.participation_id = participation_id
    if conflict.resolved_at is not None or conflict.hashes != hashes:
        conflict.opened_at = utcnow()
    conflict.hashes = hashes
    conflict.resolved_at = None
    conflict.resolved_hash = None
    conflict.resolved_by_name = None
    conflict.note = None
    return True


def hold(event_id) -> None:
    """Hold out of the counts the event and the participations that have an open conflict."""
    open_conflicts = db.session.execute(
        select(SyncConflict.kind, SyncConflict.participation_id).where(
            SyncConflict.event_id == event_id, SyncConflict.resolved_at.is_(None)
        )
    ).all()
    held = {pid for _kind, pid in open_conflicts if pid is not None}
    db.session.execute(
        update(Event.__table__)
        .where(Event.id == event_id)
        .values(sync_hold=any(kind == "event" for kind, _pid in open_conflicts))
    )
    db.session.execute(
        update(Participation.__table__)
        .where(Participation.event_id == event_id)
        .values(sync_hold=Participation.id.in_(sorted(held)) if held else False)
    )


@dataclass
class Variant:
    device: str
    device_name: str
    content_hash: str
    received_at: object
    content: dict


def list_conflicts(open_only: bool = True) -> list[SyncConflict]:
    query = select(SyncConflict).order_by(SyncConflict.opened_at.desc())
    if open_only:
        query = query.where(SyncConflict.resolved_at.is_(None))
    return list(db.session.scalars(query))


def count_open_conflicts() -> int:
    return db.session.scalar(
        select(db.func.count()).select_from(SyncConflict).where(SyncConflict.resolved_at.is_(None))
    )


def get_conflict(conflict_id) -> SyncConflict | None:
    try:
        return db.session.get(SyncConflict, uuid.UUID(str(conflict_id)))
    except ValueError:
        return None


def variants(conflict: SyncConflict) -> list[Variant]:
    """The competing versions of a conflict's record, by hash."""
    names = dict(db.session.execute(select(Device.device_key, Device.name)).all())
    rows = [
        row
        for row in db.session.scalars(
            select(SyncVersion)
            .where(SyncVersion.kind == conflict.kind, SyncVersion.record_id == conflict.record_id)
            .order_by(SyncVersion.content_hash)
        )
        if row.content_hash in conflict.hashes
    ]
    return [
        Variant(
            row.device_key,
            names.get(
                row.device_key,
                _("Kantor") if row.device_key == identity.device_key() else row.device_key,
            ),
            row.content_hash,
            row.received_at,
            row.content or {},
        )
        for row in rows
    ]


def resolve_conflict(conflict: SyncConflict, chosen_hash: str, actor) -> None:
    """An admin keeps one version: it becomes the office's version, made from all of them."""
    if conflict.resolved_at is not None:
        raise Refused(_("Konflik ini sudah diselesaikan."), 409)
    chosen = next((v for v in variants(conflict) if v.content_hash == chosen_hash), None)
    if chosen is None:
        raise Refused(_("Pilih salah satu versi yang ada."))
    office = identity.device_key()
    previous = db.session.get(SyncVersion, (conflict.kind, conflict.record_id, office))
    content = chosen.content
    # The choice is the office's version, made from every competing one: it replaces them, so
    # later imports of the same bundles change nothing, and a newer version reopens it.
    row = previous or SyncVersion(
        kind=conflict.kind, record_id=conflict.record_id, device_key=office
    )
    row.sequence = (previous.sequence + 1) if previous else 0
    row.content_hash = chosen_hash
    row.parents = list(conflict.hashes)
    row.content = content
    row.received_at = utcnow()
    db.session.add(row)
    exists = bool(records.read(conflict.kind, [conflict.record_id]))
    records.write(conflict.kind, conflict.record_id, content, {}, exists=exists)
    written = records.read(conflict.kind, [conflict.record_id])
    record = db.session.get(SyncRecord, (conflict.kind, conflict.record_id)) or SyncRecord(
        kind=conflict.kind, record_id=conflict.record_id
    )
    record.applied_hash = chosen_hash
    record.written_hash = records.content_hash(written[conflict.record_id][0])
    db.session.add(record)
    conflict.resolved_at = utcnow()
    conflict.resolved_hash = chosen_hash
    conflict.resolved_by_name = actor.display_name
    db.session.flush()
    hold(conflict.event_id)
    notes.pending(db.session()).events.add(conflict.event_id)
    record_audit(
        actor,
        "sync.conflict_resolved",
        "event",
        conflict.event_id,
        kind=conflict.kind,
        record=str(conflict.record_id),
        chosen=chosen.device_name,
    )
    db.session.flush()


def event_titles(event_ids) -> dict:
    return dict(
        db.session.execute(select(Event.id, Event.title).where(Event.id.in_(list(event_ids)))).all()
    )
