"""Noting what moves village progress, in the transaction that moves it.

A change only inserts what it touched (events, villages, officers) into `progress_pending`,
one small statement before its commit, so a tablet's submit stays short; the pages that show
progress compute it first (`progress.catch_up`). Results arrive through `attempt_finalized`;
events, participations, villager profiles, officers' villages and certifications,
designations and certificates through mapper events as they are flushed.
"""

from dataclasses import dataclass, field
from itertools import chain

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session

from learning.accounts.models import User
from learning.core.access import Role
from learning.core.signals import attempt_finalized
from learning.core.upsert import insert_ignore_rows
from learning.events.models import Event, Participation, VillagerProfile
from learning.villages.models import ProgressPending, VillageCertificate, VillageDesignation
from quizzes.models import OfficerCertification

PENDING = "villages.pending"


@dataclass
class Pending:
    events: set = field(default_factory=set)
    villages: set = field(default_factory=set)
    officers: set = field(default_factory=set)

    def __bool__(self):
        return bool(self.events or self.villages or self.officers)


def pending(session: Session) -> Pending:
    return session.info.setdefault(PENDING, Pending())


def _changed(obj, *names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _old_and_new(obj, name) -> set:
    history = inspect(obj).attrs[name].history
    return {v for v in chain(history.added, history.deleted, history.unchanged) if v}


def _note_event(todo, event_row, _created):
    todo.events.add(event_row.id)
    todo.villages.add(event_row.village_code)


def _note_participation(todo, participation, created):
    if created or _changed(participation, "is_counted", "withdrawn_at", "user_id"):
        todo.events.add(participation.event_id)


def _note_profile(todo, profile, created):
    if created or _changed(profile, "village_code"):
        todo.villages.update(_old_and_new(profile, "village_code"))


def _note_certification(todo, certification, _created):
    todo.officers.add(certification.user_id)


def _note_officer(todo, user, created):
    if user.role == Role.OFFICER and (created or _changed(user, "is_active_account", "villages")):
        todo.officers.add(user.id)
        todo.villages.update(v.code for v in _old_and_new(user, "villages"))


def _note_village(todo, row, _created):
    todo.villages.add(row.village_code)


# What moves progress, noted as it is flushed (mapper events: flushes of other records cost
# nothing). `created` is true for an insert or a delete, false for an update.
WATCHED = {
    Event: _note_event,
    Participation: _note_participation,
    VillagerProfile: _note_profile,
    OfficerCertification: _note_certification,
    User: _note_officer,
    VillageDesignation: _note_village,
    VillageCertificate: _note_village,
}


def _watch(model, note) -> None:
    def noted(created):
        def listener(_mapper, _connection, target):
            session = object_session(target)
            if session is not None:
                note(pending(session), target, created)

        return listener

    event.listen(model, "after_insert", noted(True))
    event.listen(model, "after_update", noted(False))
    event.listen(model, "after_delete", noted(True))


for _model, _note in WATCHED.items():
    _watch(_model, _note)


@attempt_finalized.connect
def _on_attempt_finalized(_sender, context=None, **_extra):
    from learning.extensions import db

    if context and context.startswith("event:"):
        pending(db.session()).events.add(context.removeprefix("event:"))


@event.listens_for(Session, "before_commit")
def _remember_pending(session):
    session.flush()  # what is still unflushed is noted now, not after this hook
    todo = session.info.pop(PENDING, None)
    if not todo:
        return
    rows = [{"kind": "event", "key": str(k)} for k in todo.events]
    rows += [{"kind": "village", "key": str(k)} for k in todo.villages]
    rows += [{"kind": "officer", "key": str(k)} for k in todo.officers]
    insert_ignore_rows(ProgressPending, rows, ["kind", "key"], session=session)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session):
    session.info.pop(PENDING, None)
