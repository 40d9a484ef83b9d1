"""What a laptop pulls from the office: content, the work area, its officers, their events.

Content tables are copied with the office's own keys: a field laptop never loads content files
(its tables are emptied at enrolment), so its lessons, questions and quizzes are the office's,
row for row, and versions (named by their content hash) are never duplicated.
"""

import uuid
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import Date, Uuid, delete, func, select, update

from learning.accounts.models import User, officer_village
from learning.core.access import Role
from learning.core.models import LegalInstrument, LegalProvision
from learning.core.time import UTCDateTime, utcnow
from learning.core.upsert import insert_ignore_rows, upsert_rows
from learning.events.models import Event, Participation
from learning.extensions import db
from learning.lessons.models import Completion, Lesson, LessonVersion, lesson_version_provision
from learning.regions.models import Office, Regency
from learning.regions.services import ensure_office
from learning.sync import identity, records
from learning.sync.crypto import BundleError
from learning.sync.models import Device, SyncVersion
from quizzes.models import Question, QuestionVersion, Quiz, QuizAttempt

# In the order they are written (a row's references first).
CONTENT = (
    LegalInstrument.__table__,
    LegalProvision.__table__,
    Lesson.__table__,
    LessonVersion.__table__,
    lesson_version_provision,
    Question.__table__,
    QuestionVersion.__table__,
    Quiz.__table__,
)
OFFICER_COLUMNS = (
    "id",
    "role",
    "username",
    "display_name",
    "password_hash",
    "pin_hash",
    "is_active_account",
    "session_token",
    "deactivated_at",
    "origin_device",
    "created_at",
)
SCHEDULED = ("scheduled", "open")


def _rows(table, where=None) -> list[dict]:
    query = select(table)
    if where is not None:
        query = query.where(where)
    return [
        {column: records.plain(value) for column, value in row._mapping.items()}
        for row in db.session.execute(query.order_by(*table.primary_key.columns))
    ]


def _typed(table, row: dict) -> dict:
    out = {}
    for name, value in row.items():
        column = table.c[name]
        if value is not None and isinstance(column.type, Uuid):
            value = uuid.UUID(value)
        elif value is not None and isinstance(column.type, UTCDateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(column.type, Date):
            value = date.fromisoformat(value)
        out[name] = value
    return out


# ---- at the office --------------------------------------------------------------------------


def snapshot(device: Device) -> dict:
    """Everything the laptop should hold, for its officers only."""
    office = ensure_office()[0]
    assigned = {o.id for o in device.officers if o.is_active_account}
    events = (
        list(
            db.session.scalars(
                select(Event.id).where(
                    Event.status.in_(SCHEDULED), Event.officers.any(User.id.in_(sorted(assigned)))
                )
            )
        )
        if assigned
        else []
    )
    found = records.read("event", events)
    colleagues = {
        uuid.UUID(i) for content, _local in found.values() for i in content["officer_ids"]
    }
    officers = []
    for user in db.session.scalars(
        select(User).where(User.id.in_(sorted(assigned | colleagues)), User.role == Role.OFFICER)
    ):
        row = {name: records.plain(getattr(user, name)) for name in OFFICER_COLUMNS}
        if user.id not in assigned:  # a colleague on one of its events: a name, no way in
            row.update(password_hash=None, pin_hash=None, is_active_account=False, username=None)
        row["villages"] = [v.code for v in user.villages] if user.id in assigned else []
        officers.append(row)
    return {
        "office": {
            "name": office.name,
            "regencies": [r.code for r in office.regencies],
            "device_key": identity.device_key(),
        },
        "content": {table.name: _rows(table) for table in CONTENT},
        "officers": officers,
        "events": [
            {"id": str(event_id), "content": content, "local": {"join_code": local["join_code"]}}
            for event_id, (content, local) in sorted(found.items(), key=lambda i: str(i[0]))
        ],
    }


# ---- on the laptop --------------------------------------------------------------------------


def empty_content() -> None:
    """Before the first pull: drop the content a fresh laptop loaded from its own files."""
    if db.session.scalar(select(func.count()).select_from(QuizAttempt)) or db.session.scalar(
        select(func.count()).select_from(Participation)
    ):
        raise BundleError(
            _(
                "Laptop ini sudah berisi hasil tes. Daftarkan laptop yang masih kosong, atau "
                "cadangkan lalu kosongkan databasenya dulu."
            ),
            409,
        )
    # A lesson and its versions point at each other: break the cycle first.
    db.session.execute(
        update(Lesson.__table__).values(current_version_id=None, file_version_id=None)
    )
    db.session.execute(delete(Completion.__table__))
    for table in reversed(CONTENT):
        db.session.execute(delete(table))


def apply(data: dict) -> dict:
    """Bring the laptop up to the office's snapshot (the caller commits); return counts."""
    counts = {}
    pointers = []  # a lesson names its versions, which name the lesson: set after both exist
    for table in CONTENT:
        rows = [_typed(table, row) for row in data["content"].get(table.name, [])]
        if table is Lesson.__table__:
            for row in rows:
                pointers.append(
                    {
                        "lesson_id": row["id"],
                        "current": row.pop("current_version_id"),
                        "file": row.pop("file_version_id"),
                    }
                )
                row["file_path"] = None  # the office's files are not on this laptop
        keys = [c.name for c in table.primary_key.columns]
        if len(keys) == len(table.columns):
            insert_ignore_rows(table, rows, keys)
        else:
            upsert_rows(table, rows, keys)
        counts[table.name] = len(rows)
    lessons = Lesson.__table__
    for pointer in pointers:
        db.session.execute(
            update(lessons)
            .where(lessons.c.id == pointer["lesson_id"])
            .values(current_version_id=pointer["current"], file_version_id=pointer["file"])
        )
    office, _created = ensure_office()
    office.name = data["office"]["name"]
    office.regencies = list(
        db.session.scalars(select(Regency).where(Regency.code.in_(data["office"]["regencies"])))
    )
    counts["officers"] = _apply_officers(data["officers"])
    counts["events"] = _apply_events(data["events"], data["office"]["device_key"])
    db.session.flush()
    return counts


def _apply_officers(rows: list[dict]) -> int:
    table = User.__table__
    known = set()
    for row in rows:
        villages = row.pop("villages")
        values = _typed(table, row)
        known.add(values["id"])
        if values["username"] and db.session.scalar(
            select(User.id).where(User.username == values["username"], User.id != values["id"])
        ):
            values["username"] = None  # a local account has the name: the officer keeps theirs
        upsert_rows(table, [values], ["id"])
        db.session.execute(delete(officer_village).where(officer_village.c.user_id == values["id"]))
        insert_ignore_rows(
            officer_village,
            [{"user_id": values["id"], "village_code": code} for code in villages],
            ["user_id", "village_code"],
        )
    # Officers no longer assigned to this laptop lose their way in here.
    db.session.execute(
        update(table)
        .where(User.role == Role.OFFICER, User.id.not_in(sorted(known)) if known else True)
        .values(is_active_account=False, password_hash=None, pin_hash=None)
    )
    return len(rows)


def _apply_events(events: list[dict], office_key: str) -> int:
    """Scheduled events land with the office's id; one already held here is left as it is."""
    changed = 0
    ids = [uuid.UUID(e["id"]) for e in events]
    here = records.read("event", ids)
    pulled = {
        row.record_id: row
        for row in db.session.scalars(
            select(SyncVersion).where(SyncVersion.kind == "event", SyncVersion.record_id.in_(ids))
        )
    }
    for event in events:
        event_id = uuid.UUID(event["id"])
        digest = records.content_hash(event["content"])
        mine = here.get(event_id)
        if mine is not None:
            before = pulled.get(event_id)
            untouched = before is not None and records.content_hash(mine[0]) == before.content_hash
            if not untouched or before.content_hash == digest:
                continue
        local = dict(event["local"])
        if mine is None and db.session.scalar(
            select(Event.id).where(Event.join_code == local["join_code"])
        ):
            from learning.events import rules

            local["join_code"] = rules.new_code(rules.JOIN_CODE_LENGTH)
        records.write("event", event_id, event["content"], local, exists=mine is not None)
        upsert_rows(
            SyncVersion,
            [
                {
                    "kind": "event",
                    "record_id": event_id,
                    "device_key": office_key,
                    "sequence": 0,
                    "content_hash": digest,
                    "parents": [],
                    "content": None,
                    "received_at": utcnow(),
                }
            ],
            ["kind", "record_id", "device_key"],
        )
        changed += 1
    return changed


def office_name() -> str | None:
    office = db.session.scalar(select(Office).limit(1))
    return office.name if office else None
