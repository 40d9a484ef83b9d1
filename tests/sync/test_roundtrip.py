"""One laptop: enrol, pull, hold an event, export, import at the office; exactly once."""

import random

from sqlalchemy import func, select

from learning.extensions import db
from learning.sync import imports
from quizzes.models import QuizAnswer
from tests.sync.conftest import hold_event


def test_an_event_held_on_a_laptop_reaches_the_office_once(content, officers, make_laptop, enrol):
    laptop = make_laptop("laptop-1")
    enrol(laptop, officers[:1])
    rng = random.Random(1)
    event_id = hold_event(laptop, rng, villagers=4)
    data = laptop.export(event_id)

    report = imports.import_bundle(data, via="command", actor_name="uji")
    db.session.commit()
    assert not report.already and report.conflicts == 0
    assert report.added["participation"] == 4
    stored = set(db.session.scalars(select(QuizAnswer.client_answer_id)))
    assert stored == laptop.answers

    again = imports.import_bundle(data, via="command", actor_name="uji")
    db.session.commit()
    assert again.already
    assert db.session.scalar(select(func.count()).select_from(QuizAnswer)) == len(laptop.answers)


def test_a_villager_removed_at_the_office_is_not_brought_back_by_a_later_bundle(
    content, officers, make_laptop, enrol, admin
):
    from learning.events.models import VillagerProfile
    from learning.events.privacy import anonymise_villager
    from learning.sync.models import SyncVersion

    laptop = make_laptop("laptop-1")
    enrol(laptop, officers[:1])
    event_id = hold_event(laptop, random.Random(2), villagers=2)
    imports.import_bundle(laptop.export(event_id), via="command", actor_name="uji")
    db.session.commit()
    profile = db.session.scalars(select(VillagerProfile)).first()
    anonymise_villager(profile, admin, reason="permintaan warga")
    db.session.commit()
    kept = db.session.get(SyncVersion, ("villager", profile.user_id, "laptop-1"))
    assert kept.content is None  # the laptop's copy of the name is gone from the office too

    report = imports.import_bundle(laptop.export(event_id), via="command", actor_name="uji")
    db.session.commit()
    assert report.conflicts == 0
    again = db.session.get(VillagerProfile, profile.id, populate_existing=True)
    assert again.anonymised_at is not None and again.name_key == "" and again.phone is None
    assert db.session.get(SyncVersion, ("villager", profile.user_id, "laptop-1")).content is None
