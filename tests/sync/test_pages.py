"""The admin's sync pages: laptops, upload, conflicts; the laptop's export button."""

import io
import random
import re

import pytest
from sqlalchemy import func, select

from learning.core.models import AuditEntry
from learning.events.models import Event
from learning.extensions import db
from learning.sync import imports, services
from learning.sync.models import Device, SyncConflict
from tests.sync.conftest import hold_event, schedule


def text(response) -> str:
    return response.get_data(as_text=True)


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_an_admin_registers_a_laptop_and_sees_its_code_once(client, admin, officers, login_as):
    login_as(client, admin)
    response = client.post(
        "/sync/devices", data={"name": "Laptop lapangan 2", "officers": [str(officers[0].id)]}
    )
    assert response.status_code == 200
    page = text(response)
    code = re.search(r"--code ([0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6})", page).group(1)
    assert code in page and "sync enrol --office" in page
    device = db.session.scalar(select(Device))
    assert device.enrol_code_hash and code not in (device.enrol_code_hash or "")
    assert [o.id for o in device.officers] == [officers[0].id]
    assert audit("device.registered")
    listing = text(client.get("/sync/"))
    assert "Laptop lapangan 2" in listing and code not in listing
    assert client.post("/sync/devices", data={"name": ""}).status_code == 400


def test_revoking_needs_a_reason_and_is_audited(client, admin, officers, login_as):
    device, _code = services.register_device("Laptop 3", [officers[0].id], admin)
    db.session.commit()
    login_as(client, admin)
    short = client.post(f"/sync/devices/{device.id}/revoke", data={"reason": "x"})
    assert short.status_code == 400 and "Tulis alasan pencabutan" in text(short)
    assert db.session.get(Device, device.id, populate_existing=True).revoked_at is None
    done = client.post(f"/sync/devices/{device.id}/revoke", data={"reason": "Hilang di jalan"})
    assert done.status_code == 302
    assert db.session.get(Device, device.id, populate_existing=True).is_revoked
    assert audit("device.revoked")[0].details["reason"] == "Hilang di jalan"


def test_an_upload_reports_what_it_added_and_a_second_one_that_nothing_changed(
    client, admin, content, officers, make_laptop, enrol, login_as
):
    laptop = make_laptop("laptop-1")
    enrol(laptop, officers[:1])
    event_id = hold_event(laptop, random.Random(11), villagers=3)
    data = laptop.export(event_id)
    login_as(client, admin)
    for expected in ("catatan baru", "sudah pernah diimpor"):
        response = client.post(
            "/sync/import",
            data={"bundle": (io.BytesIO(data), "acara.sadar")},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        assert response.status_code == 200 and expected in text(response)
    assert db.session.get(Event, event_id).title in text(client.get("/sync/"))


def test_a_conflict_is_shown_side_by_side_and_resolved_by_an_admin(
    client, admin, content, officers, make_laptop, enrol, login_as
):
    planned = schedule(officers[:2], admin)
    first, second = make_laptop("laptop-1"), make_laptop("laptop-2")
    enrol(first, officers[:1])
    enrol(second, officers[1:2])
    rng = random.Random(12)
    hold_event(first, rng, event_id=planned.id, villagers=2)
    hold_event(second, rng, event_id=planned.id, villagers=2)
    for laptop in (first, second):
        imports.import_bundle(laptop.export(planned.id), via="command", actor_name="uji")
    db.session.commit()
    conflict = db.session.scalar(select(SyncConflict))
    login_as(client, admin)
    listing = text(client.get("/sync/conflicts"))
    assert "acara" in listing and planned.title in text(
        client.get(f"/sync/conflicts/{conflict.id}")
    )
    page = text(client.get(f"/sync/conflicts/{conflict.id}"))
    assert "laptop-1" in page and "laptop-2" in page and "<mark>Ditutup</mark>" in page
    wrong = client.post(f"/sync/conflicts/{conflict.id}", data={"choice": "0" * 64})
    assert wrong.status_code == 400 and "Pilih salah satu versi" in text(wrong)
    chosen = conflict.hashes[1]
    done = client.post(f"/sync/conflicts/{conflict.id}", data={"choice": chosen})
    assert done.status_code == 302
    resolved = db.session.get(SyncConflict, conflict.id, populate_existing=True)
    assert resolved.resolved_hash == chosen and resolved.resolved_by_name == admin.display_name
    assert not db.session.get(Event, planned.id, populate_existing=True).sync_hold
    assert audit("sync.conflict_resolved")
    again = client.post(f"/sync/conflicts/{conflict.id}", data={"choice": chosen})
    assert again.status_code == 409


def test_the_export_button_is_on_a_field_laptops_event_page_only(
    client, admin, content, officers, make_laptop, enrol, login_as
):
    laptop = make_laptop("laptop-1")
    enrol(laptop, officers[:1])
    event_id = hold_event(laptop, random.Random(13), villagers=1)
    laptop_client = laptop.app.test_client()
    with laptop.context():
        login_as(laptop_client, laptop.officer())
        page = laptop_client.get(f"/events/{event_id}")
        assert "Buat bundel untuk kantor" in text(page)
        download = laptop_client.post(f"/sync/events/{event_id}/export")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert imports.import_bundle(download.data, via="upload", actor_name="uji").added["answer"]
    # At the office there is nothing to export to.
    office_event = schedule(officers[:1], admin)
    login_as(client, admin)
    assert "Buat bundel untuk kantor" not in text(client.get(f"/events/{office_event.id}"))
    refused = client.post(f"/sync/events/{office_event.id}/export")
    assert refused.status_code == 409


@pytest.mark.parametrize("target", ["device", "officers", "revoke", "import", "resolve", "export"])
def test_every_sync_post_needs_a_csrf_token(app, client, admin, officers, login_as, target):
    device, _code = services.register_device("Laptop 4", [officers[0].id], admin)
    db.session.commit()
    event = schedule(officers[:1], admin)
    url, data = {
        "device": ("/sync/devices", {"name": "Laptop palsu"}),
        "officers": (f"/sync/devices/{device.id}", {"officers": []}),
        "revoke": (f"/sync/devices/{device.id}/revoke", {"reason": "Dicabut tanpa token"}),
        "import": ("/sync/import", {}),
        "resolve": (f"/sync/conflicts/{device.id}", {"choice": "a" * 64}),
        "export": (f"/sync/events/{event.id}/export", {}),
    }[target]
    login_as(client, admin)
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(url, data=data)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert not db.session.get(Device, device.id, populate_existing=True).is_revoked
