"""Sealing a bundle: encrypted for the office (X25519 + AES-256-GCM), signed by the laptop
(Ed25519).

A sealed bundle is MAGIC, the header's length (4 bytes), the header (JSON: format, ids, the
laptop's clock, the office key it was sealed for, the ephemeral key and nonce), the ciphertext
(gzip of the JSON payload; the header is its associated data), then the laptop's 64-byte
signature over everything before it. Checking the signature first means a changed, cut or
foreign file is refused before anything is decrypted or read.
"""

import gzip
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask_babel import gettext as _

from learning.config import read_or_create
from learning.core.errors import Refused

MAGIC = b"SADAR-IMIGRASI-BUNDLE\n"
SIGNATURE_LENGTH = 64
MAX_HEADER = 4096
RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


class BundleError(Refused):
    """A bundle was refused; nothing was written."""

    status = 422


def public_hex(key) -> str:
    return key.public_key().public_bytes(*RAW).hex()


def key_id(public_hex_value: str) -> str:
    """A short name of a public key (shown to people comparing keys, stored in headers)."""
    return hashlib.sha256(bytes.fromhex(public_hex_value)).hexdigest()[:16]


def load_or_create(path: Path, kind):
    """Read a private key kept as hex in `path`, creating it (mode 600) the first time."""
    raw = serialization.Encoding.Raw, serialization.PrivateFormat.Raw
    value = read_or_create(
        path, lambda: kind.generate().private_bytes(*raw, serialization.NoEncryption()).hex()
    )
    return kind.from_private_bytes(bytes.fromhex(value))


def signing_key(path: Path) -> Ed25519PrivateKey:
    return load_or_create(path, Ed25519PrivateKey)


def office_key(path: Path) -> X25519PrivateKey:
    return load_or_create(path, X25519PrivateKey)


def _derive(shared: bytes, ephemeral: bytes, office: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"sadar-imigrasi bundle" + ephemeral + office,
    ).derive(shared)


def seal(payload: dict, header: dict, office_public_hex: str, signer: Ed25519PrivateKey) -> bytes:
    """Encrypt `payload` for the office's key and sign the whole file with the laptop's key."""
    office_public = bytes.fromhex(office_public_hex)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(*RAW)
    nonce = secrets.token_bytes(12)
    header = {
        **header,
        "office_key": key_id(office_public_hex),
        "ephemeral": ephemeral_public.hex(),
        "nonce": nonce.hex(),
    }
    header_bytes = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    prefix = MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes
    key = _derive(
        ephemeral.exchange(X25519PublicKey.from_public_bytes(office_public)),
        ephemeral_public,
        office_public,
    )
    plain = gzip.compress(
        json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode(), mtime=0
    )
    body = prefix + AESGCM(key).encrypt(nonce, plain, prefix)
    return body + signer.sign(body)


@dataclass
class Sealed:
    """A bundle file split into its parts; nothing is trusted until `verify` and `open`."""

    header: dict
    prefix: bytes
    ciphertext: bytes
    signature: bytes


def read_header(data: bytes) -> Sealed:
    """Split a bundle file; refuse what is not one of ours or is cut short."""
    if not data.startswith(MAGIC):
        raise BundleError(_("Berkas ini bukan bundel Sadar Imigrasi."))
    start = len(MAGIC)
    if len(data) < start + 4:
        raise BundleError(_("Bundel terpotong: berkasnya tidak lengkap."))
    (length,) = struct.unpack(">I", data[start : start + 4])
    end = start + 4 + length
    if length > MAX_HEADER or len(data) < end + SIGNATURE_LENGTH + 16:
        raise BundleError(_("Bundel terpotong: berkasnya tidak lengkap."))
    try:
        header = json.loads(data[start + 4 : end])
        if not isinstance(header, dict):
            raise ValueError
    except ValueError:
        raise BundleError(_("Bundel rusak: kepalanya tidak terbaca.")) from None
    return Sealed(header, data[:end], data[end:-SIGNATURE_LENGTH], data[-SIGNATURE_LENGTH:])


def verify(sealed: Sealed, device_public_hex: str) -> None:
    """Refuse a bundle not signed by this device's key, or changed or cut after signing."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(device_public_hex)).verify(
            sealed.signature, sealed.prefix + sealed.ciphertext
        )
    except (InvalidSignature, ValueError):
        raise BundleError(
            _(
                "Tanda tangan bundel tidak sah: berkasnya diubah atau terpotong, atau tidak "
                "ditandatangani laptop yang tercatat."
            )
        ) from None


def open_payload(sealed: Sealed, office: X25519PrivateKey) -> dict:
    """Decrypt and read the payload of a verified bundle."""
    office_public = office.public_key().public_bytes(*RAW)
    if sealed.header.get("office_key") != key_id(office_public.hex()):
        raise BundleError(
            _("Bundel ini dienkripsi untuk kunci kantor lain, jadi tidak dapat dibuka di sini.")
        )
    try:
        ephemeral = bytes.fromhex(sealed.header["ephemeral"])
        key = _derive(
            office.exchange(X25519PublicKey.from_public_bytes(ephemeral)), ephemeral, office_public
        )
        plain = AESGCM(key).decrypt(
            bytes.fromhex(sealed.header["nonce"]), sealed.ciphertext, sealed.prefix
        )
        payload = json.loads(gzip.decompress(plain))
    except (InvalidTag, KeyError, ValueError, OSError, EOFError):
        raise BundleError(_("Bundel tidak dapat dibuka: dekripsi gagal.")) from None
    if not isinstance(payload, dict):
        raise BundleError(_("Bundel rusak: isinya tidak terbaca."))
    return payload
