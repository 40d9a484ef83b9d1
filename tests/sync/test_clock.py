"""A laptop offline for weeks may have a wrong clock: the office keeps both times, flags a
difference of more than a day, and certification cannot count an event later than received."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

import learning.sync.bundle
from learning.core.time import today_local, utcnow
from learning.events.models import Event
from learning.extensions import db
from learning.sync import imports
from learning.sync.models import BundleReceipt
from learning.villages.models import EventSummary
from learning.villages.services import ensure_fresh
from tests.sync.conftest import hold_event


@pytest.fixture
def laptop(content, officers, make_laptop, enrol):
    made = make_laptop("laptop-1")
    enrol(made, officers[:1])
    return made


def export_with_clock(laptop, monkeypatch, event_id, offset: timedelta) -> bytes:
    monkeypatch.setattr(learning.sync.bundle, "utcnow", lambda: utcnow() + offset)
    return laptop.export(event_id)


def test_a_clock_ten_days_ahead_is_flagged_and_cannot_push_the_event_later(laptop, monkeypatch):
    ahead = timedelta(days=10)
    event_id = hold_event(laptop, random.Random(1), villagers=2, held_on=today_local() + ahead)
    report = imports.import_bundle(
        export_with_clock(laptop, monkeypatch, event_id, ahead), via="command", actor_name="uji"
    )
    db.session.commit()
    assert report.clock_flagged and 9 * 86400 < report.clock_offset_seconds <= 10 * 86400
    assert "Jam laptop berbeda 10" in report.describe()
    receipt = db.session.scalar(select(BundleReceipt))
    assert receipt.clock_flagged and receipt.exported_at - receipt.received_at > timedelta(days=9)
    event = db.session.get(Event, event_id)
    assert event.held_on == today_local() + ahead  # the laptop's date is kept as it was
    assert event.received_on == today_local()
    ensure_fresh()
    summary = db.session.get(EventSummary, event_id)
    assert summary.held_on == today_local() and summary.is_held  # counted as received


def test_a_clock_within_a_day_is_not_flagged(laptop, monkeypatch):
    event_id = hold_event(laptop, random.Random(2), villagers=1)
    report = imports.import_bundle(
        export_with_clock(laptop, monkeypatch, event_id, timedelta(hours=-20)),
        via="command",
        actor_name="uji",
    )
    assert not report.clock_flagged


def test_a_clock_behind_is_flagged_for_the_office_to_see(laptop, monkeypatch):
    behind = timedelta(days=-40)
    event_id = hold_event(laptop, random.Random(3), villagers=1, held_on=today_local() + behind)
    report = imports.import_bundle(
        export_with_clock(laptop, monkeypatch, event_id, behind), via="command", actor_name="uji"
    )
    db.session.commit()
    assert report.clock_flagged and report.clock_offset_seconds < -39 * 86400
    ensure_fresh()
    assert db.session.get(EventSummary, event_id).held_on == today_local() + behind
