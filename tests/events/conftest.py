"""Fixtures for events: content loaded, an officer with a kiosk PIN, an event, a kiosk client."""

import datetime as dt

import pytest
from werkzeug.security import generate_password_hash

from learning.cli import load_content
from learning.events import services
from learning.extensions import db

PIN = "481529"


@pytest.fixture
def content_loaded(app):
    load_content(echo=lambda *_: None)
    db.session.commit()


@pytest.fixture
def pin_officer(officer):
    officer.pin_hash = generate_password_hash(PIN)
    db.session.commit()
    return officer


@pytest.fixture
def event(content_loaded, pin_officer):
    created = services.create_event(
        title="Sosialisasi Desa Pembengis",
        village_code="15.06.11.2004",
        held_on=dt.date(2026, 12, 3),
        place="Balai Desa",
        officer_ids=[pin_officer.id],
        lesson_slugs=["apa-itu-paspor", "apa-itu-tppo"],
        actor=pin_officer,
    )
    db.session.commit()
    return created


@pytest.fixture
def kiosk(app, event, pin_officer, login_as):
    """A tablet client turned into a kiosk for the event by its officer."""
    client = app.test_client()
    login_as(client, pin_officer)
    response = client.post(f"/events/{event.id}/kiosk", data={"label": "Tablet 1"})
    assert response.status_code == 302 and response.headers["Location"] == "/kiosk/"
    return client
