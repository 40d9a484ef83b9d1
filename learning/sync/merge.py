"""Importing an event bundle at the office: checked, then merged by stable id.

Every record keeps, per device, the latest version that device sent (`sync_version`); the
office's own edits are a version too. A version whose `parents` name another version's hash
was made from it and replaces it. What remains is one content (written into the record) or
several (a conflict: the record is held out of the counts until an admin chooses). Because the
outcome depends only on the set of versions received, bundles can arrive in any order, and a
bundle already imported is a reported no-op.
"""

import hashlib
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from learning.core.time import today_local, utcnow
from learning.core.upsert import upsert_rows
from learning.events import rules as event_rules
from learning.events.models import Event, Participation
from learning.extensions import db
from learning.sync import bundle, crypto, identity, records
from learning.sync.crypto import BundleError
from learning.sync.models import (
    BundleReceipt,
    Device,
    SyncConflict,
    SyncRecord,
    SyncVersion,
    VillagerAlias,
)
from learning.sync.villagers import VillagerMatching
from learning.villages import notes
from quizzes.models import Question, QuestionVersion, Quiz

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


def _broken(detail: str) -> BundleError:
    return BundleError(_("Bundel rusak: %(detail)s", detail=detail))


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
            raise _broken(_("isi dan kepalanya tidak cocok."))
    bundle_id = uuid.UUID(payload["bundle_id"])
    known = db.session.get(BundleReceipt, bundle_id)
    if known is not None:
        return Report(bundle_id, known.event_id, known.event_title, sender.name, already=True)
    try:
        merger = Merger(sender.device_key, int(payload["sequence"]), payload)
        merger.check()
        report = merger.run(sender.name)
    except BundleError:
        raise
    except IntegrityError as exc:
        raise BundleError(
            _("Bundel tidak dapat digabungkan: %(error)s", error=str(exc.orig)[:200]), 409
        ) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _broken(
            _("isinya tidak sesuai format (%(error)s).", error=type(exc).__name__)
        ) from exc
    report.bundle_id = bundle_id
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

    # ---- checks before anything is written --------------------------------------------------

    def check(self) -> None:
        """Refuse a bundle whose records reach outside its event, or that the office can't
        read (a test or question it does not know)."""
        items = self.items
        if set(items["event"]) != {self.event_id}:
            raise _broken(_("bundel harus berisi tepat satu acara."))
        event_key = str(self.event_id)
        participations = {str(i) for i in items["participation"]}
        attempts = {str(i) for i in items["attempt"]}
        users = {i["content"]["user_id"] for i in items["participation"].values()}
        outside = (
            any(i["content"]["event_id"] != event_key for i in items["participation"].values())
            or any(
                i["content"]["participation_id"] not in participations
                for i in items["consent"].values()
            )
            or any(
                i["content"]["context"] != f"event:{event_key}" for i in items["attempt"].values()
            )
            or any(i["content"]["attempt_id"] not in attempts for i in items["answer"].values())
            or not {str(i) for i in items["villager"]} <= users
        )
        if outside:
            raise _broken(_("ada catatan di luar acaranya."))
        slugs = {i["content"]["quiz"] for i in items["attempt"].values()}
        known = set(db.session.scalars(select(Quiz.slug).where(Quiz.slug.in_(sorted(slugs)))))
        if slugs - known:
            raise BundleError(
                _(
                    "Bundel memakai tes yang tidak dikenal kantor: %(slugs)s.",
                    slugs=", ".join(sorted(slugs - known)),
                )
            )
        self._add_question_versions()

    def _add_question_versions(self) -> None:
        """Insert the question versions the bundle answered that the office lacks (by id)."""
        wanted = {
            uuid.UUID(i["content"]["question_version_id"]) for i in self.items["answer"].values()
        }
        for attempt in self.items["attempt"].values():
            wanted.update(uuid.UUID(i["v"]) for i in attempt["content"]["items"] or ())
        present = (
            set(
                db.session.scalars(select(QuestionVersion.id).where(QuestionVersion.id.in_(wanted)))
            )
            if wanted
            else set()
        )
        carried = {uuid.UUID(v["id"]): v for v in self.payload.get("question_versions", [])}
        missing = wanted - present
        if missing - set(carried):
            raise _broken(_("soal yang dijawab tidak disertakan."))
        for version_id in sorted(missing):
            data = carried[version_id]
            question = db.session.scalar(
                select(Question).where(Question.key == data["question_key"])
            )
            if question is None:
                raise BundleError(
                    _(
                        "Bundel memakai soal yang tidak dikenal kantor: %(key)s.",
                        key=data["question_key"],
                    )
                )
            if QuestionVersion.make_id(question.key, data["content_hash"]) != version_id:
                raise _broken(_("versi soal tidak cocok dengan isinya."))
            highest = db.session.scalar(
                select(db.func.max(QuestionVersion.number)).where(
                    QuestionVersion.question_id == question.id
                )
            )
            db.session.add(
                QuestionVersion(
                    id=version_id,
                    question_id=question.id,
                    number=(highest or 0) + 1,
                    origin="file",
                    created_by_name=_("bundel lapangan"),
                    **{name: data[name] for name in bundle.QUESTION_VERSION_FIELDS},
                )
            )
        db.session.flush()

    # ---- merging ----------------------------------------------------------------------------

    def run(self, device_name: str) -> Report:
        event_item = self.items["event"][self.event_id]
        self.report = Report(
            uuid.UUID(int=0), self.event_id, event_item["content"]["title"], device_name
        )
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
        self._hold_conflicts()
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
        return self.report

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
            self._set_conflict(kind, record_id, item, left, conflicts)
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

    def _set_conflict(self, kind: str, record_id, item: dict, left: list, known: dict) -> None:
        """Open, update or close the record's conflict; `known` holds the kind's conflicts."""
        hashes = sorted({v.content_hash for v in left})
        conflict = known.get(record_id)
        if len(hashes) == 1:
            if conflict is not None and conflict.resolved_at is None:
                conflict.resolved_at = utcnow()
                conflict.resolved_hash = hashes[0]
                conflict.resolved_by_name = _("sinkronisasi")
                conflict.note = _("Versi yang datang kemudian menyatukan isinya.")
            return
        if conflict is None:
            conflict = SyncConflict(kind=kind, record_id=record_id)
            db.session.add(conflict)
        conflict.event_id = self.event_id
        conflict.participation_id = self._participation_of(kind, item)
        if conflict.resolved_at is not None or conflict.hashes != hashes:
            conflict.opened_at = utcnow()
        conflict.hashes = hashes
        conflict.resolved_at = None
        conflict.resolved_hash = None
        conflict.resolved_by_name = None
        conflict.note = None
        self.report.conflicts += 1

    # ---- after the records ------------------------------------------------------------------

    def _hold_conflicts(self) -> None:
        """Hold out of the counts the event and participations with an open conflict."""
        open_conflicts = list(
            db.session.execute(
                select(SyncConflict.kind, SyncConflict.participation_id).where(
                    SyncConflict.event_id == self.event_id, SyncConflict.resolved_at.is_(None)
                )
            )
        )
        hold_participations(self.event_id, open_conflicts)


def hold_participations(event_id, open_conflicts) -> None:
    """Set the hold flags of an event and its participations from its open conflicts."""
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
