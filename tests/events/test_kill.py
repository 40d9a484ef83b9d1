"""The server killed (SIGKILL) mid-event: no acknowledged answer is lost, and the event resumes.

The real server (`flask --app learning serve`, waitress) runs as a subprocess on a SQLite file
of its own. Twenty tablets answer their post-tests over HTTP as static/js/quiz.js does: the
JSON autosave with the attempt's token, one client id per answer, a failed send retried with
the same id. When about half the answers are acknowledged the server is killed; the file is
read directly, the server started again, and the tablets resend what was not acknowledged.
"""

import datetime as dt
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from learning.config import ROOT
from learning.core.backup import check_database
from tests.conftest import database_url, is_postgres, make_test_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL does not exist on Windows"),
    pytest.mark.skipif(
        is_postgres(database_url(Path("."))), reason="the server's own SQLite file is killed"
    ),
]

TABLETS = 20
VILLAGE = "15.06.11.2004"
THINK = (0.0, 0.02)  # seconds between answers: short, so that many are in flight at the kill
HOST = "127.0.0.1"


@dataclass
class Tablet:
    attempt_id: str
    token: str
    items: list[tuple[str, str]]  # (question version, chosen option)
    sent: dict[str, str] = field(default_factory=dict)  # client id -> question version
    acked: list[str] = field(default_factory=list)
    already_stored: int = 0  # replies {"created": false}: committed before, reply lost
    errors: list[str] = field(default_factory=list)


def prepare(url: str, instance: Path) -> list[Tablet]:
    """Set up the database: an open event, 20 villagers, a started post-test each."""
    from learning.accounts import services as accounts
    from learning.accounts.models import Role
    from learning.cli import run_setup
    from learning.core.database import write_intent
    from learning.events import services as events
    from learning.extensions import db

    app = make_test_app(url, instance)
    with app.app_context():
        run_setup(echo=lambda *_: None)
        with write_intent():
            officer = accounts.create_user(
                username="petugas.lapangan",
                display_name="Petugas Lapangan",
                role=Role.OFFICER,
                password="kata-sandi-uji-1",
                must_change_password=False,
            )
            event = events.create_event(
                title="Sosialisasi Desa Pembengis",
                village_code=VILLAGE,
                held_on=dt.date.today(),
                place="Balai Desa",
                officer_ids=[officer.id],
                lesson_slugs=["apa-itu-paspor", "apa-itu-tppo"],
                actor=officer,
            )
            events.set_status(event, "open", officer)
            tablets = []
            for n in range(TABLETS):
                participation = events.register_villager(
                    event,
                    events.Registration(
                        name=f"Warga Uji {n}",
                        village_code=VILLAGE,
                        age_group="26-35",
                        gender="perempuan",
                    ),
                )
                attempt, token = events.start_test(participation, "post")
                items = [(item["v"], random.choice(item["o"])) for item in attempt.items]
                tablets.append(Tablet(str(attempt.id), token, items))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return tablets


def free_port() -> int:
    # Below 32768: the ports above are handed out to client connections (GUIDE.md section 6).
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


class Server:
    """`flask --app learning serve --no-setup` in a process of its own."""

    def __init__(self, port: int, env: dict, log: Path):
        self.port, self.env, self.log = port, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "learning", "serve", "--no-setup"]
                + ["--host", HOST, "--port", str(self.port)],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text(errors="replace")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not answer /healthz:\n" + self.log.read_text())

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def post_answer(conn, tablet: Tablet, version: str, choice: str, client_id: str):
    """Send one answer; return (status, body), or (None, None) when the server did not reply."""
    body = json.dumps({"question": version, "choices": [choice], "client_answer_id": client_id})
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-Attempt-Token": tablet.token,
    }
    try:
        conn.request("POST", f"/quizzes/attempts/{tablet.attempt_id}/answers", body, headers)
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read() or b"{}")
    except (OSError, http.client.HTTPException, ValueError):
        conn.close()  # the next request opens a new connection
        return None, None


def run_tablet(tablet: Tablet, port: int, killed, restarted, lock, acked: list) -> None:
    rng = random.Random(tablet.attempt_id)
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    for version, choice in tablet.items:
        client_id = str(uuid.uuid4())  # one id per answer, kept through every retry
        tablet.sent[client_id] = version
        give_up = time.monotonic() + 60
        while True:
            if time.monotonic() > give_up:
                tablet.errors.append(f"answer {client_id} never acknowledged")
                return
            status, body = post_answer(conn, tablet, version, choice, client_id)
            if status == 200 and body.get("saved"):
                with lock:
                    tablet.acked.append(client_id)
                    acked.append(client_id)
                    if killed.is_set() and not body.get("created"):
                        tablet.already_stored += 1
                break
            if status is not None and status < 500:
                tablet.errors.append(f"{status} {body}")
                break
            if killed.is_set():  # the server is down: wait for it, then resend the same id
                if not restarted.wait(30):
                    tablet.errors.append("the server did not come back")
                    return
            time.sleep(0.05)
        time.sleep(rng.uniform(*THINK))
    conn.close()


def read_answers(db_file: Path) -> list[tuple[str, str, str]]:
    """(attempt, question version, client id) of every stored answer, read from the file."""
    conn = sqlite3.connect(db_file)
    try:
        rows = conn.execute(
            "SELECT attempt_id, question_version_id, client_answer_id FROM quiz_answer"
        ).fetchall()
    finally:
        conn.close()
    # Uuid columns are 32 hex digits on SQLite.
    return [tuple(str(uuid.UUID(value)) for value in row) for row in rows]


def test_a_killed_server_loses_no_acknowledged_answer_and_the_event_resumes(tmp_path):
    started = time.monotonic()
    db_file = tmp_path / "acara.db"
    url = f"sqlite:///{db_file}"
    tablets = prepare(url, tmp_path / "instance")
    total = sum(len(t.items) for t in tablets)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "tests-only-secret",
        "DEVICE_ID": "laptop-uji",
    }
    server = Server(free_port(), env, tmp_path / "server.log")
    killed, restarted, lock = threading.Event(), threading.Event(), threading.Lock()
    acked: list[str] = []
    threads = [
        threading.Thread(
            target=run_tablet, args=(t, server.port, killed, restarted, lock, acked), daemon=True
        )
        for t in tablets
    ]
    try:
        server.start()
        for thread in threads:
            thread.start()
        threshold = int(total * random.uniform(0.35, 0.65))
        deadline = time.monotonic() + 20
        while len(acked) < threshold and time.monotonic() < deadline:
            time.sleep(0.002)
        killed.set()  # before the kill: a tablet that fails from now on waits for the restart
        with lock:
            in_flight = sum(len(t.sent) - len(t.acked) for t in tablets)
        server.kill()
        time.sleep(0.3)  # replies that arrived just before the kill are counted
        with lock:
            acked_at_kill = set(acked)

        stored = read_answers(db_file)
        stored_ids = Counter(client_id for _a, _q, client_id in stored)
        assert acked_at_kill <= set(stored_ids), "acknowledged answers lost by the kill"
        assert max(stored_ids.values(), default=1) == 1
        assert check_database(db_file) == []

        server.start()
        restarted.set()
        for thread in threads:
            thread.join(30)
        assert not any(thread.is_alive() for thread in threads)
    finally:
        restarted.set()
        server.stop()

    assert [e for t in tablets for e in t.errors] == []
    final = read_answers(db_file)
    per_question = Counter((attempt, question) for attempt, question, _c in final)
    per_client = Counter(client_id for _a, _q, client_id in final)
    duplicates = sum(n - 1 for n in per_question.values())
    for tablet in tablets:
        assert len(tablet.acked) == len(tablet.items) == len(tablet.sent)
        for client_id, question in tablet.sent.items():
            assert per_client[client_id] == 1
            assert per_question[(tablet.attempt_id, question)] == 1
    assert set(acked) <= set(per_client)
    assert duplicates == 0 and len(final) == total
    print(
        f"\nkill test: {TABLETS} tablets, {total} answers; killed after"
        f" {len(acked_at_kill)} acknowledged, {in_flight} in flight; stored after the kill"
        f" {len(stored)} (committed but not acknowledged: {len(stored) - len(acked_at_kill)});"
        f" resent after the restart and found already stored:"
        f" {sum(t.already_stored for t in tablets)}; stored at the end {len(final)};"
        f" duplicates {duplicates}; {time.monotonic() - started:.1f} s"
    )
