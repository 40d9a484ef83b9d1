"""Bundles the office must refuse, each with a clear message and nothing written."""

import json
import random
import struct
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from learning.core.database import write_intent
from learning.events.models import Event
from learning.extensions import db
from learning.sync import bundle, crypto, identity, imports, services
from learning.sync.crypto import BundleError
from tests.sync.conftest import hold_event, row_counts


@pytest.fixture
def field(content, officers, make_laptop, enrol):
    """An enrolled laptop that held one event, and that event's good bundle."""
    laptop = make_laptop("laptop-1")
    device = enrol(laptop, officers[:1])
    event_id = hold_event(laptop, random.Random(7), villagers=3)
    return laptop, device, event_id, laptop.export(event_id)


def payload_of(laptop, event_id) -> dict:
    with laptop.context():
        return bundle.build_payload(db.session.get(Event, event_id), 99, uuid.uuid4())


def sealed(laptop, payload, *, signer=None, office_public=None, **header_changes) -> bytes:
    """Seal a payload as the laptop would, with some part replaced."""
    with laptop.context():
        header = {
            k: payload[k] for k in ("format", "bundle_id", "device", "sequence", "exported_at")
        }
        header.update(header_changes)
        office_public = office_public or identity.enrolment()["office_public_key"]
        return crypto.seal(payload, header, office_public, signer or identity.signing_key())


def refused(data: bytes, message: str) -> None:
    db.session.commit()
    before = row_counts()
    with pytest.raises(BundleError, match=message):
        imports.import_bundle(data, via="command", actor_name="uji")
    db.session.rollback()
    assert row_counts() == before


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_a_changed_byte_anywhere_is_refused(field):
    _laptop, _device, _event, good = field
    header_end = len(crypto.MAGIC) + 4 + struct.unpack(">I", good[len(crypto.MAGIC) :][:4])[0]
    for at in (header_end + 10, len(good) // 2, len(good) - 70, len(good) - 1):
        refused(flip(good, at), "Tanda tangan bundel tidak sah")


def test_a_changed_header_is_refused(field):
    _laptop, _device, _event, good = field
    text = good.replace(b'"sequence":', b'"sequence":1', 1)  # same length is not needed
    refused(text, "Tanda tangan bundel tidak sah|Bundel terpotong|Bundel rusak")


def test_a_truncated_bundle_is_refused(field):
    _laptop, _device, _event, good = field
    refused(good[:-200], "Tanda tangan bundel tidak sah")
    refused(good[: len(good) // 3], "Tanda tangan bundel tidak sah|terpotong")
    refused(good[:40], "terpotong")
    refused(b"", "bukan bundel")


def test_a_file_that_is_not_a_bundle_is_refused(field):
    refused(b"PK\x03\x04 a zip file, not ours", "bukan bundel Sadar Imigrasi")


def test_a_bundle_signed_by_another_key_is_refused(field):
    laptop, _device, event_id, _good = field
    forged = sealed(laptop, payload_of(laptop, event_id), signer=Ed25519PrivateKey.generate())
    refused(forged, "Tanda tangan bundel tidak sah")


def test_a_bundle_from_an_unregistered_laptop_is_refused(field):
    laptop, _device, event_id, _good = field
    payload = payload_of(laptop, event_id)
    payload["device"] = "laptop-asing"
    refused(sealed(laptop, payload), "tidak terdaftar di kantor")


def test_a_revoked_laptops_bundles_are_refused_even_those_made_before(field, admin):
    _laptop, device, _event, good = field
    services.revoke_device(device, "Laptop hilang di perjalanan", admin)
    db.session.commit()
    refused(good, "sudah dicabut")


def test_a_bundle_for_another_office_key_is_refused(field):
    laptop, _device, event_id, _good = field
    other = crypto.public_hex(X25519PrivateKey.generate())
    refused(sealed(laptop, payload_of(laptop, event_id), office_public=other), "kunci kantor lain")


def test_a_bundle_that_does_not_decrypt_is_refused(field):
    laptop, _device, event_id, _good = field
    # Sealed for another key but naming ours: signed correctly, so only decryption can fail.
    other = crypto.public_hex(X25519PrivateKey.generate())
    data = sealed(laptop, payload_of(laptop, event_id), office_public=other)
    start = len(crypto.MAGIC)
    (length,) = struct.unpack(">I", data[start : start + 4])
    header = json.loads(data[start + 4 : start + 4 + length])
    with laptop.context():
        header["office_key"] = crypto.key_id(identity.enrolment()["office_public_key"])
        prefix = crypto.MAGIC
        header_bytes = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
        body = prefix + struct.pack(">I", len(header_bytes)) + header_bytes
        body += data[start + 4 + length : -crypto.SIGNATURE_LENGTH]
        data = body + identity.signing_key().sign(body)
    refused(data, "dekripsi gagal")


def test_a_bundle_of_a_newer_format_is_refused(field):
    laptop, _device, event_id, _good = field
    refused(
        sealed(laptop, payload_of(laptop, event_id), format=bundle.FORMAT + 1),
        "versi aplikasi yang lebih baru",
    )


def test_a_signed_bundle_reaching_outside_its_event_is_refused(field, admin):
    laptop, _device, event_id, _good = field
    payload = payload_of(laptop, event_id)
    payload["records"]["participation"][0]["content"]["event_id"] = str(uuid.uuid4())
    refused(sealed(laptop, payload), "di luar acaranya")


def test_the_upload_page_refuses_with_the_message_and_writes_nothing(
    field, admin, client, login_as
):
    import io

    _laptop, _device, _event, good = field
    login_as(client, admin)
    before = row_counts()
    response = client.post(
        "/sync/import",
        data={"bundle": (io.BytesIO(good[:-10]), "acara.sadar")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Tanda tangan bundel tidak sah" in response.get_data(as_text=True)
    assert row_counts() == before


def test_push_with_a_revoked_laptops_token_is_refused(field, admin):
    laptop, device, _event, _good = field
    services.revoke_device(device, "Laptop dicuri dari mobil dinas", admin)
    db.session.commit()
    from learning.sync import client as sync_client

    with laptop.context(), write_intent():
        result = sync_client.push()
    assert result.error and "sudah dicabut" in result.error
    assert result.waiting == 1
