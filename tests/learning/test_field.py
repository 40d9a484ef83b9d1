"""Field mode: the local authority, the server certificate, HTTPS and HTTP in one process."""

import http.client
import ipaddress
import json
import os
import ssl
import stat
import threading
import time
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store

from learning.extensions import db
from learning.field import tls
from learning.field.network import local_addresses, preferred_address, sort_by_preference
from learning.field.server import serve_field
from learning.field.views import bp as field_bp
from tests.conftest import make_test_app

ADDRESSES = ["192.168.137.1", "10.42.0.1"]


def _load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def _san(cert):
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return ips, set(san.get_values_for_type(x509.DNSName))


def test_the_authority_is_created_once_and_then_kept(tmp_path):
    first = tls.ensure_ca(tmp_path, "perangkat-uji")
    second = tls.ensure_ca(tmp_path, "lain")
    assert first.created and not first.replaced
    assert not second.created
    assert first.certificate == second.certificate
    fingerprint = tls.ca_fingerprint_sha256(tmp_path)
    assert len(fingerprint.split(":")) == 32
    tls.ensure_ca(tmp_path)
    assert tls.ca_fingerprint_sha256(tmp_path) == fingerprint

    cert = first.certificate
    name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert name == "Sadar Imigrasi CA lokal perangkat-uji"
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=3650) <= lifetime <= timedelta(days=3653)


def test_the_authority_is_named_after_the_device_id_by_default(tmp_path):
    (tmp_path / "device_id").write_text("a1b2c3d4e5f6\n")
    cert = tls.ensure_ca(tmp_path).certificate
    name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert name == "Sadar Imigrasi CA lokal a1b2c3d4e5f6"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_private_keys_are_readable_by_the_owner_only(tmp_path):
    tls.ensure_server_cert(tmp_path, ADDRESSES)
    folder = tls.ca_dir(tmp_path)
    for key in (tls.CA_KEY, tls.SERVER_KEY):
        assert stat.S_IMODE(os.stat(folder / key).st_mode) == 0o600, key
    assert stat.S_IMODE(os.stat(folder).st_mode) & 0o077 == 0
    # A key copied in with looser permissions is put back to 600.
    os.chmod(folder / tls.CA_KEY, 0o644)
    tls.ensure_ca(tmp_path)
    assert stat.S_IMODE(os.stat(folder / tls.CA_KEY).st_mode) == 0o600


def test_the_server_certificate_verifies_against_the_authority(tmp_path):
    cert_info = tls.ensure_server_cert(tmp_path, ADDRESSES)
    assert cert_info.created
    ca = _load(cert_info.ca_cert_path)
    chain = x509.load_pem_x509_certificates(cert_info.cert_path.read_bytes())
    leaf = chain[0]
    assert chain[1] == ca  # served with the authority after it
    leaf.verify_directly_issued_by(ca)
    verifier = PolicyBuilder().store(Store([ca])).build_server_verifier
    for address in [*ADDRESSES, "127.0.0.1"]:
        path = verifier(x509.IPAddress(ipaddress.IPv4Address(address))).verify(leaf, [])
        assert path[-1] == ca
    path = verifier(x509.DNSName("localhost")).verify(leaf, [])
    assert path[-1] == ca

    ips, names = _san(leaf)
    assert ips == {*ADDRESSES, "127.0.0.1"}
    assert "localhost" in names
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= timedelta(days=397)


def test_the_server_certificate_is_kept_until_addresses_change_or_it_nears_expiry(tmp_path):
    first = tls.ensure_server_cert(tmp_path, ADDRESSES)
    serial = _load(first.cert_path).serial_number
    again = tls.ensure_server_cert(tmp_path, list(reversed(ADDRESSES)))
    assert not again.created
    assert _load(again.cert_path).serial_number == serial

    moved = tls.ensure_server_cert(tmp_path, ["192.168.43.20"])
    assert moved.created
    assert _san(_load(moved.cert_path))[0] == {"192.168.43.20", "127.0.0.1"}

    later = first.not_after - timedelta(days=10)
    renewed = tls.ensure_server_cert(tmp_path, ["192.168.43.20"], now=later)
    assert renewed.created and renewed.not_after > first.not_after
    # The authority itself is still the same one.
    assert tls.ensure_ca(tmp_path).certificate == _load(first.ca_cert_path)


def test_a_broken_authority_is_replaced_and_the_server_certificate_follows(tmp_path):
    before = _load(tls.ensure_server_cert(tmp_path, ADDRESSES).cert_path)
    (tls.ca_dir(tmp_path) / tls.CA_KEY).write_text("rusak")
    authority = tls.ensure_ca(tmp_path)
    assert authority.created and authority.replaced
    second = tls.ensure_server_cert(tmp_path, ADDRESSES)
    assert second.created
    _load(second.cert_path).verify_directly_issued_by(authority.certificate)
    assert _load(second.cert_path) != before


def test_local_addresses_are_ipv4_without_loopback():
    addresses = local_addresses()
    for address in addresses:
        ip = ipaddress.IPv4Address(address)
        assert not ip.is_loopback
    assert preferred_address(addresses) == (addresses[0] if addresses else "127.0.0.1")


def test_the_laptops_own_hotspot_comes_first_and_virtual_networks_last():
    found = [
        "169.254.10.2",
        "172.17.0.1",
        "172.20.10.2",
        "10.0.0.5",
        "192.168.56.1",
        "192.168.1.20",
        "192.168.137.1",
        "127.0.0.1",
    ]
    assert sort_by_preference(found) == [
        "192.168.137.1",
        "192.168.1.20",
        "10.0.0.5",
        "172.20.10.2",
        "172.17.0.1",
        "192.168.56.1",
        "169.254.10.2",
    ]
    # Among addresses alike, the one the system routes through (a phone's hotspot) wins.
    assert sort_by_preference(
        ["192.168.1.20", "192.168.43.100"], default_routes=["192.168.43.100"]
    ) == ["192.168.43.100", "192.168.1.20"]


@pytest.fixture
def field_app(app, tmp_path, monkeypatch):
    """A second app on the test database, with its own instance folder and field pages."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    other = make_test_app(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "instance", FIELD_MODE=True
    )
    assert other.instance_path == str(tmp_path / "instance")
    if "field" not in other.blueprints:  # until the factory registers it
        other.register_blueprint(field_bp)
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def served(field_app):
    """serve_field in a thread on free ports; stopped (and checked stopped) afterwards."""
    stop = threading.Event()
    output: list[str] = []
    thread = threading.Thread(
        target=serve_field,
        args=(field_app, "127.0.0.1", 0, 0, 4),
        kwargs={"addresses": [], "echo": output.append, "stop_event": stop},
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + 20
    while "FIELD_HTTPS_URL" not in field_app.config and time.monotonic() < deadline:
        assert thread.is_alive(), "serve_field ended early"
        time.sleep(0.05)
    https_port = int(field_app.config["FIELD_HTTPS_URL"].rsplit(":", 1)[1])
    http_port = int(field_app.config["PUBLIC_URL"].rsplit(":", 1)[1])
    yield field_app, https_port, http_port, output
    stop.set()
    thread.join(timeout=20)
    assert not thread.is_alive(), "Ctrl+C equivalent did not stop both servers"
    for port in (https_port, http_port):
        with pytest.raises(OSError):
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/")


def _get(connection, path):
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.getheader("Content-Type"), response.read()


def test_serve_field_serves_https_trusted_only_through_the_authority_and_plain_http(served):
    app, https_port, http_port, output = served
    assert app.config["PUBLIC_URL"] == f"http://127.0.0.1:{http_port}"
    assert app.config["FIELD_HTTPS_URL"] == f"https://127.0.0.1:{https_port}"
    ca_file = tls.ca_dir(app.instance_path) / tls.CA_CERT

    only_ours = ssl.create_default_context(cafile=str(ca_file))
    tablet = http.client.HTTPSConnection("127.0.0.1", https_port, context=only_ours, timeout=10)
    status, _type, body = _get(tablet, "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, content_type, body = _get(tablet, "/field/ca.crt")
    assert status == 200 and content_type == "application/x-x509-ca-cert"
    assert body == ca_file.read_bytes()

    stranger = http.client.HTTPSConnection(
        "127.0.0.1", https_port, context=ssl.create_default_context(), timeout=10
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        _get(stranger, "/healthz")

    phone = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    status, _type, body = _get(phone, "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, _type, body = _get(phone, "/field/ca.key")
    assert status == 404 and b"PRIVATE KEY" not in body

    shown = "\n".join(output)
    assert f"https://127.0.0.1:{https_port}" in shown
    assert f"http://127.0.0.1:{http_port}/field/ca.crt" in shown
    fingerprint = tls.ca_fingerprint_sha256(app.instance_path)
    assert fingerprint[:23] in shown and fingerprint[-23:] in shown


def test_the_field_pages_are_public_in_field_mode_and_absent_otherwise(field_app):
    tls.ensure_server_cert(field_app.instance_path, ADDRESSES)
    field_app.config["FIELD_HTTPS_URL"] = "https://192.168.137.1:5443"
    client = field_app.test_client()

    response = client.get("/field/ca.crt")
    assert response.status_code == 200
    assert response.content_type == "application/x-x509-ca-cert"
    assert (
        x509.load_pem_x509_certificate(response.data)
        == tls.ensure_ca(field_app.instance_path).certificate
    )
    assert (
        client.get("/field/ca.crt?unduh=1").headers["Content-Disposition"].startswith("attachment")
    )
    page = client.get("/field/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    first_pairs = tls.ca_fingerprint_sha256(field_app.instance_path)[:23]
    assert first_pairs in text
    assert "https://192.168.137.1:5443/" in text
    assert "Pengaturan Kepercayaan Sertifikat" in text and "Sertifikat CA" in text

    field_app.config["FIELD_MODE"] = False
    assert client.get("/field/ca.crt").status_code == 404
    assert client.get("/field/").status_code == 404


def test_the_field_pages_wait_for_the_authority(field_app):
    assert field_app.test_client().get("/field/ca.crt").status_code == 404


def test_the_authoritys_private_key_is_never_served(field_app):
    tls.ensure_server_cert(field_app.instance_path, ADDRESSES)
    folder = tls.ca_dir(field_app.instance_path)
    secrets = [(folder / name).read_bytes() for name in (tls.CA_KEY, tls.SERVER_KEY)]
    client = field_app.test_client()
    for path in (
        "/field/ca.key",
        "/field/server.key",
        "/field/ca.crt/../ca.key",
        "/field/..%2fca.key",
        "/field-ca/ca.key",
        "/instance/field-ca/ca.key",
        "/static/../instance/field-ca/ca.key",
        "/static/..%2f..%2finstance%2ffield-ca%2fca.key",
        "/field/ca.crt?unduh=1",
        "/field/",
    ):
        body = client.get(path).data
        assert b"PRIVATE KEY" not in body, path
        assert not any(secret.strip() in body for secret in secrets), path
