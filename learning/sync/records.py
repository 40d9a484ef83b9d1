"""The records an event bundle carries, read from and written to the database the same way.

Each kind turns rows into `content` (what is compared and hashed: a record whose id arrives
with another hash is another version) and `local` (what only matters where the row lives: a
join code, a participant number, a kiosk token). A laptop reads its rows with these functions
to write a bundle; the office reads its own rows the same way to tell its edits apart.
"""

import enum
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, insert, select, update

from learning.accounts.models import User
from learning.core.access import Role
from learning.events.models import (
    Consent,
    Event,
    Participation,
    VillagerProfile,
    event_officer,
    event_village,
)
from learning.extensions import db
from quizzes.models import Quiz, QuizAnswer, QuizAttempt

# Kinds in the order they are written (a record's references come before it).
KINDS = ("event", "villager", "participation", "consent", "attempt", "answer")
CHUNK = 500


def content_hash(content: dict) -> str:
    """The SHA-256 of a record's content in canonical JSON."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plain(value):
    """A column value as JSON holds it (ids and times as text, an enum as its value)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _uuid(value):
    return None if value is None else uuid.UUID(str(value))


def _datetime(value):
    return None if value is None else datetime.fromisoformat(value)


def _date(value):
    return None if value is None else date.fromisoformat(value)


def _same(value):
    return value


IN = {"uuid": _uuid, "datetime": _datetime, "date": _date}


@dataclass(frozen=True)
class Kind:
    """A kind of record kept in one table: its synced columns and their types."""

    name: str
    model: type
    fields: tuple  # (column, type) pairs; type is uuid | datetime | date | plain
    local: tuple = ()  # columns written on insert but never compared

    def row_content(self, row) -> dict:
        content = {name: plain(getattr(row, name)) for name, _type in self.fields}
        content["origin_device"] = row.origin_device
        content["created_at"] = plain(row.created_at)
        return content

    def values(self, content: dict) -> dict:
        values = {name: IN.get(kind, _same)(content.get(name)) for name, kind in self.fields}
        values["origin_device"] = content["origin_device"]
        values["created_at"] = _datetime(content["created_at"])
        return values


EVENT = Kind(
    "event",
    Event,
    (
        ("title", "plain"),
        ("village_code", "plain"),
        ("held_on", "date"),
        ("place", "plain"),
        ("lesson_slugs", "plain"),
        ("pretest_slug", "plain"),
        ("posttest_slug", "plain"),
        ("status", "plain"),
        ("paper_items", "plain"),
        ("closed_at", "datetime"),
    ),
    # Who scheduled it is kept where it is known (an admin is not on a laptop).
    local=("join_code", "created_by_id"),
)
PARTICIPATION = Kind(
    "participation",
    Participation,
    (
        ("event_id", "uuid"),
        ("user_id", "uuid"),
        ("age_group", "plain"),
        ("gender", "plain"),
        ("is_counted", "plain"),
        ("registered_by", "plain"),
        ("step", "plain"),
        ("pretest_attempt_id", "uuid"),
        ("posttest_attempt_id", "uuid"),
        ("withdrawn_at", "datetime"),
    ),
    local=("number",),
)
CONSENT = Kind(
    "consent",
    Consent,
    (
        ("participation_id", "uuid"),
        ("text_version", "plain"),
        ("given_by", "plain"),
        ("withdrawn_at", "datetime"),
    ),
)
ATTEMPT = Kind(
    "attempt",
    QuizAttempt,
    (
        ("user_id", "uuid"),
        ("status", "plain"),
        ("items", "plain"),
        ("deadline_at", "datetime"),
        ("submitted_at", "datetime"),
        ("correct_count", "plain"),
        ("total", "plain"),
        ("score", "plain"),
        ("passed", "plain"),
        ("context", "plain"),
    ),
    local=("token_hash",),
)
ANSWER = Kind(
    "answer",
    QuizAnswer,
    (
        ("attempt_id", "uuid"),
        ("question_version_id", "uuid"),
        ("client_answer_id", "uuid"),
        ("choice_ids", "plain"),
        ("is_correct", "plain"),
        ("answered_at", "datetime"),
        ("source", "plain"),
    ),
)
PROFILE_FIELDS = (
    ("village_code", "plain"),
    ("card_code", "plain"),
    ("name_key", "plain"),
    ("gender", "plain"),
    ("age_group", "plain"),
    ("phone", "plain"),
    ("anonymised_at", "datetime"),
)
SIMPLE = {k.name: k for k in (EVENT, PARTICIPATION, CONSENT, ATTEMPT, ANSWER)}


def chunks(ids):
    ids = sorted(ids, key=str)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# ---- reading --------------------------------------------------------------------------------


def read(kind: str, ids) -> dict[uuid.UUID, tuple[dict, dict]]:
    """Return {id: (content, local)} of the records of this kind that exist here."""
    found = {}
    for chunk in chunks({_uuid(i) for i in ids}):
        found.update(_READERS.get(kind, _read_simple)(kind, chunk))
    return found


def _read_simple(kind_name, ids):
    kind = SIMPLE[kind_name]
    table = kind.model.__table__
    query = select(table).where(table.c.id.in_(ids))
    if kind is ATTEMPT:
        query = query.add_columns(Quiz.slug.label("quiz_slug")).join(
            Quiz, Quiz.id == table.c.quiz_id
        )
    found = {}
    for row in db.session.execute(query):
        content = kind.row_content(row)
        if kind is ATTEMPT:
            content["quiz"] = row.quiz_slug
        found[row.id] = (content, {name: getattr(row, name) for name in kind.local})
    return found


def _read_events(_kind, ids):
    found = _read_simple("event", ids)
    officers, villages = {}, {}
    for event_id, user_id in db.session.execute(
        select(event_officer.c.event_id, event_officer.c.user_id).where(
            event_officer.c.event_id.in_(ids)
        )
    ):
        officers.setdefault(event_id, []).append(str(user_id))
    for event_id, code in db.session.execute(
        select(event_village.c.event_id, event_village.c.village_code).where(
            event_village.c.event_id.in_(ids)
        )
    ):
        villages.setdefault(event_id, []).append(code)
    for event_id, (content, _local) in found.items():
        content["officer_ids"] = sorted(officers.get(event_id, []))
        content["village_codes"] = sorted(villages.get(event_id, []))
    return found


def _read_villagers(_kind, ids):
    found = {}
    for user, profile in db.session.execute(
        select(User, VillagerProfile)
        .join(VillagerProfile, VillagerProfile.user_id == User.id)
        .where(User.id.in_(ids))
    ):
        content = {
            "display_name": user.display_name,
            "origin_device": user.origin_device,
            "created_at": plain(user.created_at),
            "profile_id": str(profile.id),
            # A card shown on a laptop that did not know it: the office finds its owner.
            "claimed": profile.name_key == "" and profile.anonymised_at is None,
        }
        content.update({name: plain(getattr(profile, name)) for name, _t in PROFILE_FIELDS})
        found[user.id] = (content, {})
    return found


_READERS = {"event": _read_events, "villager": _read_villagers}


def read_event_bundle(event_id: uuid.UUID) -> dict[str, dict]:
    """Every record of one event, by kind: {kind: {id: (content, local)}}."""
    participations = list(
        db.session.execute(
            select(Participation.id, Participation.user_id).where(
                Participation.event_id == event_id
            )
        )
    )
    attempts = list(
        db.session.scalars(select(QuizAttempt.id).where(QuizAttempt.context == f"event:{event_id}"))
    )
    records = {
        "event": read("event", [event_id]),
        "villager": read("villager", {u for _p, u in participations}),
        "participation": read("participation", [p for p, _u in participations]),
        "consent": read(
            "consent",
            db.session.scalars(
                select(Consent.id).where(
                    Consent.participation_id.in_([p for p, _u in participations])
                )
            ).all(),
        ),
        "attempt": read("attempt", attempts),
        "answer": {},
    }
    for chunk in chunks(attempts):
        records["answer"].update(
            read(
                "answer",
                db.session.scalars(select(QuizAnswer.id).where(QuizAnswer.attempt_id.in_(chunk))),
            )
        )
    return records


# ---- writing --------------------------------------------------------------------------------


def write(kind: str, record_id: uuid.UUID, content: dict, local: dict, exists: bool) -> None:
    """Insert the record (exists=False) or make it hold this content."""
    _WRITERS.get(kind, _write_simple)(kind, record_id, content, local, exists)


def insert_many(kind_name: str, items: list[tuple[uuid.UUID, dict, dict]]) -> None:
    """Insert new records of one kind: one batched statement for the plain kinds."""
    if kind_name not in SIMPLE or kind_name == "event":
        for record_id, content, local in items:
            write(kind_name, record_id, content, local, exists=False)
        return
    if not items:
        return
    kind = SIMPLE[kind_name]
    quiz_ids = _quiz_ids() if kind is ATTEMPT else None
    rows = [
        {"id": record_id, **_columns(kind, content, quiz_ids), **_local(local)}
        for record_id, content, local in items
    ]
    db.session.execute(insert(kind.model.__table__), rows)


def _quiz_ids() -> dict:
    return dict(db.session.execute(select(Quiz.slug, Quiz.id)).all())


def _columns(kind: Kind, content: dict, quiz_ids: dict | None = None) -> dict:
    """A record's content as column values (an attempt names its quiz by slug)."""
    values = kind.values(content)
    if kind is ATTEMPT:
        values["quiz_id"] = (quiz_ids or _quiz_ids())[content["quiz"]]
    return values


def _write_simple(kind_name, record_id, content, local, exists):
    kind = SIMPLE[kind_name]
    values = _columns(kind, content)
    table = kind.model.__table__
    if exists:
        db.session.execute(update(table).where(table.c.id == record_id).values(**values))
    else:
        db.session.execute(insert(table).values(id=record_id, **values, **_local(local)))


def _local(local: dict) -> dict:
    """Local values as columns: a creator this database does not know is left out."""
    local = dict(local)
    if "created_by_id" in local:
        creator = _uuid(local["created_by_id"])
        local["created_by_id"] = creator if creator and db.session.get(User, creator) else None
    return local


def _write_event(_kind, record_id, content, local, exists):
    _write_simple("event", record_id, content, local, exists)
    for table, column, values in (
        (event_officer, "user_id", [_uuid(v) for v in content["officer_ids"]]),
        (event_village, "village_code", content["village_codes"]),
    ):
        db.session.execute(delete(table).where(table.c.event_id == record_id))
        if column == "user_id":  # an officer the office does not know is left out
            values = list(
                db.session.scalars(
                    select(User.id).where(User.id.in_(values), User.role == Role.OFFICER)
                )
            )
        if values:
            db.session.execute(
                insert(table), [{"event_id": record_id, column: value} for value in values]
            )


def _write_villager(_kind, record_id, content, _local, exists):
    profile = {name: IN.get(kind, _same)(content.get(name)) for name, kind in PROFILE_FIELDS}
    user = {"display_name": content["display_name"]}
    if exists:
        db.session.execute(update(User.__table__).where(User.id == record_id).values(**user))
        db.session.execute(
            update(VillagerProfile.__table__)
            .where(VillagerProfile.user_id == record_id)
            .values(**profile)
        )
        return
    common = {
        "origin_device": content["origin_device"],
        "created_at": _datetime(content["created_at"]),
    }
    db.session.execute(
        insert(User.__table__).values(
            id=record_id,
            role=Role.VILLAGER.value,
            is_active_account=True,
            must_change_password=False,
            session_token=uuid.uuid4().hex[:16],
            **user,
            **common,
        )
    )
    db.session.execute(
        insert(VillagerProfile.__table__).values(
            id=_uuid(content["profile_id"]), user_id=record_id, **profile, **common
        )
    )


_WRITERS = {"event": _write_event, "villager": _write_villager}
