"""A local certificate authority, made once per laptop, and the server certificate it signs.

The office installs the authority's certificate on its own tablets; the laptop then serves
HTTPS that they trust at its local address (browsers keep service workers and other features
for secure contexts, and http://<address> is not one). The authority's private key stays in
<instance>/field-ca/ (mode 600) and is never served.
"""

import ipaddress
import os
import re
import socket
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DIR = "field-ca"
CA_CERT, CA_KEY = "ca.crt", "ca.key"
SERVER_CERT, SERVER_KEY = "server.crt", "server.key"
CA_VALID = timedelta(days=3652)
# Browsers cap server certificates at 398 days only under public authorities, and iOS caps
# every TLS certificate at 825 days; 397 days keeps well inside both.
SERVER_VALID = timedelta(days=397)
RENEW_BEFORE = timedelta(days=30)
# Tablet clocks run a little wrong: certificates start a day early.
BACKDATE = timedelta(days=1)
_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class Authority:
    cert_path: Path
    key_path: Path
    certificate: x509.Certificate
    created: bool = False
    replaced: bool = False  # an existing authority was unusable: tablets must install anew


@dataclass(frozen=True)
class ServerCert:
    cert_path: Path  # the server certificate followed by the authority's (the chain)
    key_path: Path
    ca_cert_path: Path
    addresses: tuple[str, ...]
    not_after: datetime
    created: bool = False


def ca_dir(instance_path) -> Path:
    return Path(instance_path) / CA_DIR


def _write(path: Path, data: bytes) -> None:
    """Replace `path` atomically; the file is created readable by its owner only (mode 600)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _tighten(path: Path) -> None:
    """Put a private key copied in with looser permissions back to mode 600 (POSIX)."""
    if os.name == "posix" and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _public_der(key) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _load_authority(folder: Path, now: datetime):
    """The stored authority, or None when it is missing, broken, mismatched or expired."""
    cert_path, key_path = folder / CA_CERT, folder / CA_KEY
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except (OSError, ValueError, TypeError, x509.ExtensionNotFound):
        return None
    if not is_ca or _public_der(cert.public_key()) != _public_der(key.public_key()):
        return None
    if cert.not_valid_after_utc <= now:
        return None
    return cert, key


def _new_authority(label: str, now: datetime):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"Sadar Imigrasi CA lokal {label}"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sadar Imigrasi"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now - BACKDATE + CA_VALID)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _default_label(instance_path) -> str:
    device = Path(instance_path) / "device_id"
    if device.exists():
        return device.read_text(encoding="utf-8").strip()
    return socket.gethostname()


def ensure_ca(instance_path, label: str | None = None, *, now: datetime | None = None):
    """Return the laptop's authority, creating it the first time (kept for ten years).

    `label` names it on the tablets ("Sadar Imigrasi CA lokal <label>"): the device id by
    default, so two laptops' authorities are told apart.
    """
    now = now or _now()
    folder = ca_dir(instance_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    cert_path, key_path = folder / CA_CERT, folder / CA_KEY
    loaded = _load_authority(folder, now)
    if loaded is not None:
        _tighten(key_path)
        return Authority(cert_path, key_path, loaded[0])
    existed = cert_path.exists() or key_path.exists()
    cert, key = _new_authority(label or _default_label(instance_path), now)
    # The key first: a crash in between leaves a mismatch, which the next start replaces.
    _write(key_path, _key_pem(key))
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return Authority(cert_path, key_path, cert, created=True, replaced=existed)


def _host_names() -> list[str]:
    names = ["localhost"]
    host = socket.gethostname().strip().lower().rstrip(".")
    labels = host.split(".") if host else []
    if labels and all(_HOST_LABEL.match(label) for label in labels):
        names.append(host)
        if len(labels) == 1:
            names.append(f"{host}.local")  # mDNS, where the system answers it
    return names


def _wanted_addresses(addresses) -> list[str]:
    wanted = {str(ipaddress.IPv4Address(a)) for a in addresses} | {"127.0.0.1"}
    return sorted(wanted, key=ipaddress.IPv4Address)


def _current_server_cert(folder: Path, ca_cert, ips, names, now: datetime) -> bool:
    """Whether the stored server certificate still fits: same CA, addresses, names, time."""
    try:
        cert = x509.load_pem_x509_certificate((folder / SERVER_CERT).read_bytes())
        key = serialization.load_pem_private_key((folder / SERVER_KEY).read_bytes(), password=None)
        cert.verify_directly_issued_by(ca_cert)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    return (
        _public_der(cert.public_key()) == _public_der(key.public_key())
        and {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == set(ips)
        and set(san.get_values_for_type(x509.DNSName)) == set(names)
        and cert.not_valid_before_utc <= now
        and cert.not_valid_after_utc - now > RENEW_BEFORE
    )


def ensure_server_cert(instance_path, addresses, *, now: datetime | None = None) -> ServerCert:
    """Return a server certificate for `addresses` + 127.0.0.1, signed by the authority.

    Made anew when the addresses or the host name changed, the authority changed, or it
    expires within 30 days; otherwise the stored one is kept.
    """
    now = now or _now()
    authority = ensure_ca(instance_path, now=now)
    folder = ca_dir(instance_path)
    ips, names = _wanted_addresses(addresses), _host_names()
    cert_path, key_path = folder / SERVER_CERT, folder / SERVER_KEY
    if _current_server_cert(folder, authority.certificate, ips, names, now):
        _tighten(key_path)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return ServerCert(
            cert_path, key_path, authority.cert_path, tuple(ips), cert.not_valid_after_utc
        )
    ca_key = serialization.load_pem_private_key(authority.key_path.read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "Sadar Imigrasi mode lapangan"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sadar Imigrasi"),
                ]
            )
        )
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now - BACKDATE + SERVER_VALID)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name) for name in names]
                + [x509.IPAddress(ipaddress.IPv4Address(ip)) for ip in ips]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(key_path, _key_pem(key))
    chain = cert.public_bytes(serialization.Encoding.PEM) + authority.cert_path.read_bytes()
    _write(cert_path, chain)
    return ServerCert(
        cert_path, key_path, authority.cert_path, tuple(ips), cert.not_valid_after_utc, True
    )


def ca_certificate_pem(instance_path) -> bytes:
    """The authority's certificate (public), as the tablets download it."""
    return (ca_dir(instance_path) / CA_CERT).read_bytes()


def ca_fingerprint_sha256(instance_path) -> str:
    """The authority's SHA-256 fingerprint as the tablets show it: 32 hex pairs."""
    cert = x509.load_pem_x509_certificate(ca_certificate_pem(instance_path))
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))
