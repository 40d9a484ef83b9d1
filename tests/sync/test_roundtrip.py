"""One laptop: enrol, pull, hold an event, export, import at the office; exactly once."""

import random

from sqlalchemy import func, select

from learning.extensions import db
from learning.sync import merge
from quizzes.models import QuizAnswer
from tests.sync.conftest import hold_event


def test_an_event_held_on_a_laptop_reaches_the_office_once(content, officers, make_laptop, enrol):
    laptop = make_laptop("laptop-1")
    enrol(laptop, officers[:1])
    rng = random.Random(1)
    event_id = hold_event(laptop, rng, villagers=4)
    data = laptop.export(event_id)

    report = merge.import_bundle(data, via="command", actor_name="uji")
    db.session.commit()
    assert not report.already and report.conflicts == 0
    assert report.added["participation"] == 4
    stored = set(db.session.scalars(select(QuizAnswer.client_answer_id)))
    assert stored == laptop.answers

    again = merge.import_bundle(data, via="command", actor_name="uji")
    db.session.commit()
    assert again.already
    assert db.session.scalar(select(func.count()).select_from(QuizAnswer)) == len(laptop.answers)
