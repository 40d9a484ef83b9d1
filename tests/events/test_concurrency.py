"""Many phones at once on SQLite: writes begin IMMEDIATE, none fails with "database is locked"."""

import threading

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from learning.events.models import Participation
from learning.extensions import db


def test_phones_registering_at_the_same_moment_all_succeed(app, event):
    code = event.join_code
    db.session.commit()
    statuses, barrier = [], threading.Barrier(12)

    def phone(n):
        client = FlaskClient(app)  # every request in its own app context, as under waitress
        client.get(f"/j/{code}")
        client.post("/kiosk/consent", data={"who": "self", "agree": "y"})
        barrier.wait()
        response = client.post(
            "/kiosk/register",
            data={
                "new-name": f"Warga {n}",
                "new-village": "15.06.11.2004",
                "new-age_group": "26-35",
                "new-gender": "perempuan",
                "new-submit": "1",
            },
        )
        statuses.append(response.status_code)
        statuses.append(client.post("/kiosk/test/pre").status_code)

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses.count(302) == 24, statuses
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 12


def test_pages_that_record_a_step_on_get_take_the_write_lock_first(app, event):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is SQLite's; PostgreSQL locks rows instead")
    client = app.test_client()
    client.get(f"/j/{event.join_code}")
    client.post("/kiosk/consent", data={"who": "self", "agree": "y"})
    client.post(
        "/kiosk/register",
        data={
            "new-name": "Ani",
            "new-village": "15.06.11.2004",
            "new-age_group": "26-35",
            "new-gender": "perempuan",
            "new-submit": "1",
        },
    )
    begins = []

    def record(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            begins.append(statement)

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        client.get("/kiosk/after/pre")
        client.get("/kiosk/lesson/0/0")
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    assert begins and begins[0] == "BEGIN IMMEDIATE", begins
