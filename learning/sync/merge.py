"""Merging a checked bundle into the office's records by stable id.

Every record keeps, per device, the latest version that device sent (`sync_version`); the
office's own edits are a version too. A version whose `parents` name another version's hash
was made from it and replaces it. What remains is one content (written into the record) or
several (a conflict: the record is held out of the counts until an admin chooses). Because the
outcome depends only on the set of versions received, bundles can arrive in any order.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from learning.core.time import today_local, utcnow
from learning.core.upsert import upsert_rows
from learning.events import rules as event_rules
from learning.events.models import Event, Participation
from learning.extensions import db
from learning.sync import conflicts as conflicts_of
from learning.sync import identity, records
from learning.sync.models import (
    SyncConflict,
    SyncRecord,
    SyncVersion,
    VillagerAlias,
)
from learning.sync.villagers import VillagerMatching
from learning.villages import notes


def _of_records(model, kind: str, ids) -> list:
    """The rows of a sync table (version, record, conflict) for these records of a kind."""
    rows = []
    for chunk in records.chunks(ids):
        rows += db.session.scalars(
            select(model).where(model.kind == kind, model.record_id.in_(chunk))
        ).all()
    return rows


@dataclass
class Version:
    device: str
    sequence: int
    content_hash: str
    parents: list
    content: dict | None


def standing(versions) -> list:
    """The versions no other version was made from (several: a conflict), by hash."""
    replaced = {p for v in versions for p in v.parents if p != v.content_hash}
    left = [v for v in versions if v.content_hash not in replaced] or list(versions)
    return sorted(left, key=lambda v: (v.content_hash, v.device))


class Merger(VillagerMatching):
    """Merge one bundle's records into the office database (one transaction, the caller's)."""

    def __init__(self, device: str, sequence: int, payload: dict):
        self.device = device
        self.sequence = sequence
        self.payload = payload
        self.office = identity.device_key()
        self.event_id = uuid.UUID(payload["event_id"])
        self.items = {
            kind: {uuid.UUID(i["id"]): i for i in payload["records"][kind]}
            for kind in records.KINDS
        }
        self.aliases: dict[uuid.UUID, uuid.UUID] = {}
        self.report = None
        # (old, new, its participations, its attempts): villagers handed over to a newcomer
        self._pending_handover: list = []
        self._numbers: set | None = None  # participant numbers taken in the event
        self._owners: dict | None = None  # (kind, id) -> the participation it belongs to

    # ---- merging ----------------------------------------------------------------------------

    def run(self, report) -> None:
        """Merge every record, kind by kind, counting what happened into `report`."""
        self.report = report
        user_ids = {
            uuid.UUID(i["content"]["user_id"]) for i in self.items["participation"].values()
        }
        user_ids |= {uuid.UUID(i["content"]["user_id"]) for i in self.items["attempt"].values()}
        self.aliases = dict(
            db.session.execute(
                select(VillagerAlias.user_id, VillagerAlias.same_as_id).where(
                    VillagerAlias.user_id.in_(sorted(user_ids))
                )
            ).all()
        )
        for kind in records.KINDS:
            self._merge_kind(kind)
        conflicts_of.hold(self.event_id)
        self._suggest_duplicates()
        event = db.session.get(Event, self.event_id)
        if event is not None and event.received_on is None:
            event.received_on = today_local()
        todo = notes.pending(db.session())
        todo.events.add(self.event_id)
        todo.villages.update(
            i["content"]["village_code"]
            for i in self.items["villager"].values()
            if i["content"]["village_code"]
        )
        db.session.flush()

    def _participation_of(self, kind: str, item: dict) -> uuid.UUID | None:
        """The participation a record belongs to (None for the event itself)."""
        content = item["content"]
        if self._owners is None:
            self._owners = {}
            for pid, participation in self.items["participation"].items():
                c = participation["content"]
                self._owners.update(
                    {("villager", c["user_id"]): pid, ("participation", str(pid)): pid}
                    | {
                        ("attempt", a): pid
                        for a in (c["pretest_attempt_id"], c["posttest_attempt_id"])
                        if a
                    }
                )
        key = {
            "consent": ("participation", content.get("participation_id")),
            "answer": ("attempt", content.get("attempt_id")),
        }.get(kind, (kind, item["id"]))
        return self._owners.get(key)

    def _remap(self, kind: str, content: dict) -> dict:
        if kind in ("participation", "attempt"):
            user = uuid.UUID(content["user_id"])
            if user in self.aliases:
                return {**content, "user_id": str(self.aliases[user])}
        return content

    def _merge_kind(self, kind: str) -> None:
        items = self.items[kind]
        if not items:
            return
        ids = sorted(items)
        stored: dict[uuid.UUID, dict[str, Version]] = {}
        for row in _of_records(SyncVersion, kind, ids):
            stored.setdefault(row.record_id, {})[row.device_key] = Version(
                row.device_key, row.sequence, row.content_hash, row.parents or [], row.content
            )
        synced = {r.record_id: r for r in _of_records(SyncRecord, kind, ids)}
        conflicts = {c.record_id: c for c in _of_records(SyncConflict, kind, ids)}
        live = records.read(kind, ids)
        owners = self._card_owners() if kind == "villager" else {}
        version_rows, inserts, updates, applied = [], [], [], {}
        for record_id in ids:
            item = items[record_id]
            content = item["content"]
            digest = records.content_hash(content)
            versions = stored.setdefault(record_id, {})
            mine = versions.get(self.device)
            if mine is not None and (mine.sequence, mine.content_hash) >= (self.sequence, digest):
                self.report.unchanged[kind] += 1
                continue
            incoming = Version(
                self.device, self.sequence, digest, list(item.get("parents") or []), content
            )
            if kind == "villager":
                target = self._villager_target(record_id, content, owners, live)
                if target != record_id:  # the card's owner is known: this is that villager
                    self._alias(record_id, target, content["card_code"])
                    version_rows.append(self._version_row(kind, record_id, incoming))
                    self.report.matched_by_card += 1
                    continue
                current = live.get(record_id)
                if current and current[0].get("anonymised_at"):
                    # The office removed this villager's data: it is not taken back.
                    incoming.content = None
                    version_rows.append(self._version_row(kind, record_id, incoming))
                    self.report.unchanged[kind] += 1
                    continue
            record = synced.get(record_id)
            if record_id in live:
                live_content = live[record_id][0]
                live_hash = records.content_hash(live_content)
                if record is None or live_hash != record.written_hash:
                    office = versions.get(self.office)
                    if office is None or office.content_hash != live_hash:
                        versions[self.office] = Version(
                            self.office,
                            (office.sequence + 1) if office else 0,
                            live_hash,
                            [record.applied_hash] if record else [],
                            live_content,
                        )
                        version_rows.append(
                            self._version_row(kind, record_id, versions[self.office])
                        )
            versions[self.device] = incoming
            version_rows.append(self._version_row(kind, record_id, incoming))
            left = standing(versions.values())
            winner = left[0]
            hashes = sorted({v.content_hash for v in left})
            if len(hashes) > 1 or record_id in conflicts:
                self.report.conflicts += conflicts_of.settle(
                    conflicts.get(record_id),
                    kind,
                    record_id,
                    hashes,
                    self.event_id,
                    self._participation_of(kind, item),
                )
            if record_id not in live:
                inserts.append(
                    (record_id, self._remap(kind, winner.content), self._local(kind, item))
                )
                self.report.added[kind] += 1
            elif winner.device == self.office or (
                record is not None
                and record.applied_hash == winner.content_hash
                and records.content_hash(live[record_id][0]) == record.written_hash
            ):
                self.report.unchanged[kind] += 1
                continue
            else:
                updates.append((record_id, self._remap(kind, winner.content)))
                self.report.updated[kind] += 1
            applied[record_id] = winner.content_hash
        upsert_rows(SyncVersion, version_rows, ["kind", "record_id", "device_key"])
        records.insert_many(kind, inserts)
        for record_id, content in updates:
            records.write(kind, record_id, content, {}, exists=True)
        if kind == "villager":
            self._finish_handover()
        self._remember_written(kind, applied)

    @staticmethod
    def _version_row(kind, record_id, version: Version) -> dict:
        return {
            "kind": kind,
            "record_id": record_id,
            "device_key": version.device,
            "sequence": version.sequence,
            "content_hash": version.content_hash,
            "parents": version.parents,
            "content": version.content,
            "received_at": utcnow(),
        }

    def _local(self, kind: str, item: dict) -> dict:
        local = dict(item.get("local") or {})
        if kind == "event":
            code = local.get("join_code")
            while not code or db.session.scalar(select(Event.id).where(Event.join_code == code)):
                code = event_rules.new_code(event_rules.JOIN_CODE_LENGTH)
            local["join_code"] = code
        if kind == "participation":
            # Two laptops that held one event numbered their participants from 1 each.
            if self._numbers is None:
                self._numbers = set(
                    db.session.scalars(
                        select(Participation.number).where(Participation.event_id == self.event_id)
                    )
                )
            number = local.get("number") or 1
            if number in self._numbers:
                number = max(self._numbers) + 1
            self._numbers.add(number)
            local["number"] = number
        if kind == "attempt":
            local.setdefault("token_hash", "0" * 64)
        return local

    def _remember_written(self, kind: str, applied: dict) -> None:
        """Keep what the sync wrote, so a later office edit of it is known as the office's."""
        if not applied:
            return
        written = records.read(kind, applied)
        upsert_rows(
            SyncRecord,
            [
                {
                    "kind": kind,
                    "record_id": record_id,
                    "applied_hash": applied[record_id],
                    "written_hash": records.content_hash(written[record_id][0]),
                }
                for record_id in applied
                if record_id in written
            ],
            ["kind", "record_id"],
        )
