"""Over real HTTP: enrolment, pulling content and the schedule, pushing with resume."""

import json
import random

import pytest
from sqlalchemy import func, select

from learning.accounts.models import Role, User
from learning.core.database import write_intent
from learning.core.errors import Refused
from learning.events.models import Event
from learning.extensions import db
from learning.lessons.models import Lesson, LessonVersion
from learning.sync import client, identity, imports, services
from learning.sync.models import BundleReceipt, SyncConflict
from quizzes.models import Question, QuestionVersion, Quiz, QuizAnswer
from tests.sync.conftest import hold_event, pull, schedule


def content_ids() -> dict:
    return {
        "lessons": sorted(db.session.scalars(select(Lesson.slug))),
        "lesson_versions": sorted(map(str, db.session.scalars(select(LessonVersion.id)))),
        "questions": sorted(db.session.scalars(select(Question.key))),
        "question_versions": sorted(map(str, db.session.scalars(select(QuestionVersion.id)))),
        "quizzes": sorted(db.session.scalars(select(Quiz.slug))),
        "current": sorted(
            (slug, str(version))
            for slug, version in db.session.execute(select(Lesson.slug, Lesson.current_version_id))
        ),
    }


def test_a_laptop_holds_the_offices_content_exactly_and_pulling_again_adds_nothing(
    content, officers, make_laptop, enrol
):
    office = content_ids()
    laptop = make_laptop("laptop-1")
    enrol(laptop, officers[:1])
    with laptop.context():
        assert content_ids() == office
    pull(laptop)
    pull(laptop)
    with laptop.context():
        assert content_ids() == office
        assert db.session.scalar(select(func.count()).select_from(LessonVersion)) == len(
            office["lesson_versions"]
        )


def test_a_field_laptops_setup_never_loads_content_files(content, officers, make_laptop, enrol):
    from learning.cli import run_setup

    laptop = make_laptop("laptop-1")
    enrol(laptop, officers[:1])
    laptop.app.config["CONTENT_DIR"] = "/nonexistent/content"  # would fail if it were read
    lines = []
    with laptop.context():
        before = content_ids()
        run_setup(echo=lines.append)
        assert content_ids() == before
    assert any("diambil dari kantor" in line for line in lines)


def test_a_laptop_holds_only_its_officers_and_no_other_password_hash(
    content, admin, officers, make_laptop, enrol
):
    one, two, three = officers
    schedule([one, two], admin, title="Acara berdua")
    laptop = make_laptop("laptop-1")
    enrol(laptop, [one])
    with laptop.context():
        staff = {u.username or u.display_name: u for u in db.session.scalars(select(User))}
        assert staff["petugas.satu"].password_hash and staff["petugas.satu"].is_active_account
        colleague = staff["Petugas Dua"]  # on the same event: a name, no way in
        assert colleague.password_hash is None and not colleague.is_active_account
        assert "petugas.tiga" not in staff and "Petugas Tiga" not in staff
        assert not any(
            u.role == Role.ADMIN and u.username == "admin.kantor" for u in staff.values()
        )
    # The office moves the laptop to officer three: one loses the way in at the next pull.
    device = services.list_devices()[0]
    services.set_officers(device, [three.id], admin)
    db.session.commit()
    pull(laptop)
    with laptop.context():
        first = db.session.get(User, one.id)
        assert first.password_hash is None and not first.is_active_account
        assert db.session.get(User, three.id).password_hash


def test_a_scheduled_event_held_on_a_laptop_stays_one_event(
    content, admin, officers, make_laptop, enrol
):
    planned = schedule(officers[:1], admin, title="Sosialisasi terjadwal")
    laptop = make_laptop("laptop-1")
    enrol(laptop, officers[:1])
    with laptop.context():
        pulled = db.session.get(Event, planned.id)
        assert pulled.join_code == planned.join_code and pulled.title == planned.title
    hold_event(laptop, random.Random(3), event_id=planned.id, villagers=3)
    imports.import_bundle(laptop.export(planned.id), via="command", actor_name="uji")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Event)) == 1
    assert db.session.scalar(select(func.count()).select_from(SyncConflict)) == 0
    held = db.session.get(Event, planned.id, populate_existing=True)
    assert held.status == "closed" and not held.sync_hold


def test_the_office_changing_a_pulled_event_before_the_laptop_pulls_again_is_no_conflict(
    content, admin, officers, make_laptop, enrol
):
    planned = schedule(officers[:1], admin)
    laptop = make_laptop("laptop-1")
    enrol(laptop, officers[:1])
    db.session.get(Event, planned.id).place = "Masjid Desa"
    db.session.commit()
    pull(laptop)  # the laptop had not touched it: it takes the office's change
    with laptop.context():
        assert db.session.get(Event, planned.id).place == "Masjid Desa"
    hold_event(laptop, random.Random(4), event_id=planned.id, villagers=2)
    report = imports.import_bundle(laptop.export(planned.id), via="command", actor_name="uji")
    db.session.commit()
    assert report.conflicts == 0


def test_push_sends_the_outbox_oldest_first_and_resumes_after_a_failure(
    content, officers, make_laptop, enrol
):
    laptop = make_laptop("laptop-1")
    enrol(laptop, officers[:1])
    rng = random.Random(5)
    events = [hold_event(laptop, rng, villagers=2) for _ in range(3)]
    for event_id in events:
        laptop.export(event_id)
    with laptop.context():
        enrolment = identity.enrolment()
        working = enrolment["office_url"]
        # The office is out of reach (a closed port): nothing is lost, all three wait.
        identity.save_enrolment({**enrolment, "office_url": "http://127.0.0.1:9"})
        failed = client.push()
        assert failed.error and "tidak dapat dihubungi" in failed.error
        assert failed.waiting == 3 and not failed.sent
        # The office got the first bundle by USB, but the reply of a push would have been lost.
        first = sorted(identity.outbox().glob("*.sadar"))[0]
    imports.import_bundle(first.read_bytes(), via="upload", actor_name="uji")
    db.session.commit()
    with laptop.context():
        identity.save_enrolment({**enrolment, "office_url": working})
        result = client.push()
        assert result.error is None and len(result.sent) == 3
        assert "sudah pernah diimpor" in result.sent[0][1]
        assert not list(identity.outbox().glob("*.sadar"))
        assert len(list(identity.sent().glob("*.sadar"))) == 3
    assert db.session.scalar(select(func.count()).select_from(BundleReceipt)) == 3
    assert set(db.session.scalars(select(QuizAnswer.client_answer_id))) == laptop.answers


def test_an_enrolment_code_works_once(content, admin, officers, make_laptop, office_url):
    device, code = services.register_device("Laptop dua", [officers[0].id], admin)
    db.session.commit()
    first, second = make_laptop("laptop-a"), make_laptop("laptop-b")
    with first.context(), write_intent():
        client.enrol(office_url, code)
        db.session.commit()
    with second.context(), write_intent(), pytest.raises(Refused, match="tidak dikenal atau sudah"):
        client.enrol(office_url, code)
    with second.context():
        assert identity.enrolment() is None


def test_the_pull_answer_names_no_villager_and_no_hash_but_the_assigned_officers(
    content, admin, officers, make_laptop, enrol, office_url
):
    import urllib.request

    schedule(officers[:2], admin)
    laptop = make_laptop("laptop-1")
    enrol(laptop, officers[:1])
    with laptop.context():
        token = identity.enrolment()["token"]
    request = urllib.request.Request(  # noqa: S310  (http to the test server)
        office_url + "/sync/api/pull",
        data=b"",
        headers={"Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310  (the test server)
        snapshot = json.load(response)
    hashes = {o["username"]: o["password_hash"] for o in snapshot["officers"]}
    assert hashes.pop("petugas.satu") and set(hashes.values()) == {None}
    assert "villager_profile" not in snapshot["content"] and "user_account" not in snapshot


def test_push_over_https_trusts_the_offices_authority_and_nothing_else(
    app, content, admin, officers, make_laptop, tmp_path
):
    """The office served over HTTPS (a certificate from field mode's authority): a laptop
    enrolled with that authority pushes; one that does not know it is told why."""
    import threading

    from werkzeug.serving import make_server

    from learning.field import tls

    cert = tls.ensure_server_cert(tmp_path / "office-tls", ["127.0.0.1"])
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, ssl_context=(str(cert.cert_path), str(cert.key_path))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_port}"
    try:
        trusting, other = make_laptop("laptop-tls"), make_laptop("laptop-lain")
        _device, code = services.register_device("Laptop TLS", [officers[0].id], admin)
        _device, second_code = services.register_device("Laptop lain", [officers[0].id], admin)
        db.session.commit()
        with other.context(), write_intent(), pytest.raises(Refused, match="tidak dipercaya"):
            client.enrol(url, second_code)
        with trusting.context(), write_intent():
            client.enrol(url, code, ca_file=str(cert.ca_cert_path))
            client.fetch()
            db.session.commit()
        trusting.officer_id = officers[0].id
        event_id = hold_event(trusting, random.Random(6), villagers=2)
        trusting.export(event_id)
        with trusting.context():
            result = client.push()
        assert result.error is None and len(result.sent) == 1
    finally:
        server.shutdown()
    db.session.commit()  # a new snapshot: the push was written by the server
    assert set(db.session.scalars(select(QuizAnswer.client_answer_id))) == trusting.answers


def test_a_laptop_that_already_holds_results_cannot_enrol_and_keeps_the_code_unused(
    content, admin, officers, make_laptop, office_url
):
    from datetime import date

    from learning.accounts import services as accounts
    from learning.events import services as events
    from learning.sync.models import Device

    device, code = services.register_device("Laptop bekas", [officers[0].id], admin)
    db.session.commit()
    used = make_laptop("laptop-bekas")
    with used.context(), write_intent():
        officer = accounts.create_user(
            username="petugas.lama",
            display_name="Petugas Lama",
            role=Role.OFFICER,
            password="kata-sandi-lama-1",
        )
        event = events.create_event(
            title="Acara lama",
            village_code="15.06.11.2004",
            held_on=date.today(),
            place="Balai",
            officer_ids=[officer.id],
            lesson_slugs=["apa-itu-paspor"],
            actor=officer,
        )
        events.register_villager(
            event, events.Registration("Warga Lama", "15.06.11.2004", "26-35", "perempuan")
        )
        db.session.commit()
        with pytest.raises(Refused, match="sudah berisi hasil tes"):
            client.enrol(office_url, code)
        db.session.rollback()
        assert identity.enrolment() is None
    db.session.commit()
    assert db.session.get(Device, device.id).enrolled_at is None  # the code is still unused
