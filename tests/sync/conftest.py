"""Fixtures for sync: the office is the tests' app, served over real HTTP on a free port; each
field laptop is an app of its own, with its own SQLite database, instance folder and keys.

Laptops start as a fresh laptop does (setup run: regions and the bundled content loaded), then
enrol with the office's one-time code and pull; their events go through the real services
(register, start, answer, submit, close).
"""

import random
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from werkzeug.serving import make_server

from learning.accounts.models import Role, User
from learning.core.database import write_intent
from learning.events import services as events
from learning.events.models import AGE_GROUPS, GENDERS, Event
from learning.extensions import db
from learning.sync import bundle, client, services
from quizzes import services as quizzes
from tests.conftest import make_test_app

PEMBENGIS = "15.06.11.2004"
BRAM_ITAM_RAYA = "15.06.11.2005"
SENGETI = "15.05.02.1010"


@pytest.fixture(scope="session")
def office_url(app, session_tmp):
    """The tests' app served on 127.0.0.1 (laptops enrol, push and pull over real HTTP)."""
    app.config["SYNC_DIR"] = str(session_tmp / "office-sync")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def laptop_template(session_tmp):
    """A fresh laptop's database: setup run once (regions and the bundled content)."""
    from learning.cli import run_setup

    path = session_tmp / "laptop-template.db"
    template = make_test_app(
        f"sqlite:///{path}", session_tmp / "laptop-template", DEVICE_ID="template"
    )
    template.config["SYNC_DIR"] = str(session_tmp / "laptop-template-sync")
    with template.app_context():
        run_setup(echo=lambda *_: None)
        db.session.execute(text("DELETE FROM audit_entry"))
        db.session.execute(text("DELETE FROM user_account"))
        db.session.commit()
        db.engine.dispose()
    return path


@dataclass
class Laptop:
    """A field laptop: its app (own database and keys) and the officer who uses it."""

    name: str
    app: Flask
    officer_id: uuid.UUID | None = None
    answers: set = field(default_factory=set)  # client ids of every answer given here

    def context(self):
        return self.app.app_context()

    def officer(self) -> User:
        return db.session.get(User, self.officer_id)

    def export(self, event_id) -> bytes:
        with self.context(), write_intent():
            written = bundle.export_event(db.session.get(Event, event_id))
            db.session.commit()
            return written.path.read_bytes()


@pytest.fixture
def make_laptop(laptop_template, tmp_path):
    made = []

    def factory(name: str) -> Laptop:
        path = tmp_path / f"{name}.db"
        source, target = sqlite3.connect(laptop_template), sqlite3.connect(path)
        source.backup(target)
        source.close()
        target.close()
        laptop_app = make_test_app(f"sqlite:///{path}", tmp_path / name, DEVICE_ID=name)
        laptop_app.config["SYNC_DIR"] = str(tmp_path / name / "sync")
        laptop_app.config["CLAIM_UNKNOWN_CARDS"] = False
        made.append(laptop_app)
        return Laptop(name, laptop_app)

    yield factory
    for laptop_app in made:
        with laptop_app.app_context():
            db.engine.dispose()


@pytest.fixture
def enrol(office_url, admin):
    """Register a laptop at the office for these officers, then enrol it over HTTP and pull."""

    def enrol_laptop(laptop: Laptop, officers: list[User]) -> None:
        device, code = services.register_device(laptop.name, [o.id for o in officers], admin)
        db.session.commit()
        laptop.officer_id = officers[0].id
        with laptop.context(), write_intent():
            client.enrol(office_url, code)
            client.fetch()
            db.session.commit()
        db.session.commit()  # the office's test session sees the enrolment
        return device

    return enrol_laptop


def pull(laptop: Laptop) -> dict:
    db.session.commit()
    with laptop.context(), write_intent():
        counts = client.fetch()
        db.session.commit()
    return counts


def answer_test(laptop: Laptop, participation, which: str, rng: random.Random, share=1.0):
    """Take the pre- or post-test through the real services; answer `share` of it, submit."""
    attempt, _token = events.start_test(participation, which)
    for item in attempt.items:
        if rng.random() > share:
            continue
        answer_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        quizzes.save_answer(attempt, item["v"], [rng.choice(item["o"])], answer_id)
        laptop.answers.add(answer_id)
    quizzes.submit_attempt(attempt)


def hold_event(
    laptop: Laptop,
    rng: random.Random,
    *,
    event_id=None,
    village=PEMBENGIS,
    villagers=5,
    cards=(),
    names=(),
    held_on=None,
    close=True,
) -> uuid.UUID:
    """Hold an event on the laptop: a pulled one (event_id) or a new one; villagers register,
    cards are shown, tests are taken; return the event's id."""
    with laptop.context(), write_intent():
        officer = laptop.officer()
        if event_id is None:
            event = events.create_event(
                title=f"Sosialisasi {laptop.name} {rng.randrange(1000)}",
                village_code=village,
                held_on=held_on or date.today(),
                place="Balai Desa",
                officer_ids=[officer.id],
                lesson_slugs=["apa-itu-paspor", "apa-itu-tppo"],
                actor=officer,
            )
        else:
            event = db.session.get(Event, event_id)
        events.set_status(event, "open", officer)
        people = []
        for index in range(villagers):
            people.append(
                events.register_villager(
                    event,
                    events.Registration(
                        name=names[index]
                        if index < len(names)
                        else f"Warga {laptop.name} {rng.randrange(10**6)} {index}",
                        village_code=village,
                        age_group=rng.choice(AGE_GROUPS[1:]),
                        gender=rng.choice(GENDERS),
                    ),
                )
            )
        people += [events.returning_villager(event, card) for card in cards]
        for participation in people:
            answer_test(laptop, participation, "pre", rng, share=0.8)
            events.advance(participation, "posttest")
            answer_test(laptop, participation, "post", rng)
            events.advance(participation, "done")
        if close:
            events.set_status(event, "closed", officer)
        db.session.commit()
        return event.id


def card_of(laptop: Laptop, event_id, index=0) -> str:
    """The participant card of a villager registered at an event on this laptop."""
    from learning.events.models import Participation, VillagerProfile

    with laptop.context():
        return db.session.scalars(
            select(VillagerProfile.card_code)
            .join(Participation, Participation.user_id == VillagerProfile.user_id)
            .where(Participation.event_id == event_id)
            .order_by(Participation.number)
        ).all()[index]


def row_counts() -> dict:
    """Rows in every table of the office database (a refused bundle must change none)."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def schedule(officers, admin, village=PEMBENGIS, title="Sosialisasi terjadwal") -> Event:
    event = events.create_event(
        title=title,
        village_code=village,
        held_on=date.today(),
        place="Kantor Desa",
        officer_ids=[o.id for o in officers],
        lesson_slugs=["apa-itu-paspor", "apa-itu-tppo"],
        actor=admin,
    )
    db.session.commit()
    return event


@pytest.fixture
def officers(make_user):
    return [
        make_user(
            role=Role.OFFICER,
            username=f"petugas.{n}",
            display_name=f"Petugas {n.title()}",
            villages=[village],
        )
        for n, village in (("satu", PEMBENGIS), ("dua", BRAM_ITAM_RAYA), ("tiga", SENGETI))
    ]
