"""The laptop's side of the office connection: enrol, push the outbox, pull (HTTPS)."""

import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _

from learning.core.errors import Refused
from learning.extensions import db
from learning.sync import crypto, identity, pull

TIMEOUT_SECONDS = 60


class Offline(Refused):
    """The office could not be reached; nothing was lost, try again later."""

    status = 503


def _context(office_url: str, ca_file: str | None):
    if not office_url.startswith("https://"):
        return None
    return ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()


def _call(url: str, *, body: bytes, content_type: str, token: str | None, ca_file=None) -> dict:
    headers = {"Content-Type": content_type, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(  # noqa: S310  (the office's address, http or https)
            request, timeout=TIMEOUT_SECONDS, context=_context(url, ca_file)
        ) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            message = json.load(exc).get("error")
        except ValueError:
            message = None
        raise Refused(
            message or _("Kantor menolak (HTTP %(code)s).", code=exc.code), exc.code
        ) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLCertVerificationError):
            raise Refused(
                _(
                    "Sertifikat HTTPS kantor tidak dipercaya laptop ini (%(reason)s). Daftarkan "
                    "dengan --ca berisi sertifikat CA kantor.",
                    reason=exc.reason.verify_message,
                )
            ) from None
        raise Offline(
            _("Kantor tidak dapat dihubungi (%(reason)s). Coba lagi saat ada internet.", reason=exc)
        ) from None
    except (TimeoutError, ConnectionError, OSError) as exc:
        raise Offline(
            _("Kantor tidak dapat dihubungi (%(reason)s). Coba lagi saat ada internet.", reason=exc)
        ) from None


def _office(path: str) -> tuple[str, dict]:
    enrolment = identity.enrolment()
    if enrolment is None:
        raise Refused(
            _("Laptop ini belum terdaftar di kantor. Jalankan `sadar-imigrasi sync enrol`.")
        )
    return enrolment["office_url"].rstrip("/") + path, enrolment


def enrol(office_url: str, code: str, ca_file: str | None = None) -> dict:
    """Register this laptop with the office's one-time code, then pull (the caller commits)."""
    if identity.is_field_device():
        raise Refused(_("Laptop ini sudah terdaftar di kantor."), 409)
    pull.empty_content()  # refuses a laptop that already holds results, before using the code
    key = identity.signing_key()
    answer = _call(
        office_url.rstrip("/") + "/sync/api/enrol",
        body=json.dumps(
            {
                "code": code.strip(),
                "device_key": identity.device_key(),
                "public_key": crypto.public_hex(key),
            }
        ).encode(),
        content_type="application/json",
        token=None,
        ca_file=ca_file,
    )
    identity.save_enrolment(
        {
            "office_url": office_url.rstrip("/"),
            "ca_file": ca_file,
            "token": answer["token"],
            "device_name": answer["device_name"],
            "office_public_key": answer["office_public_key"],
            "office_device_key": answer["office_device_key"],
        }
    )
    current_app.config["CLAIM_UNKNOWN_CARDS"] = True
    return answer


def fetch() -> dict:
    """Pull the office's snapshot and apply it (the caller commits)."""
    url, enrolment = _office("/sync/api/pull")
    data = _call(
        url,
        body=b"",
        content_type="application/json",
        token=enrolment["token"],
        ca_file=enrolment.get("ca_file"),
    )
    return pull.apply(data)


@dataclass
class PushResult:
    sent: list = field(default_factory=list)  # (file name, the office's message)
    waiting: int = 0
    error: str | None = None


def push() -> PushResult:
    """Send the outbox oldest first; each bundle the office took moves to sent/.

    A failure stops the run with the rest still waiting: running it again resumes there. A
    bundle the office already had is answered as such, so a lost reply costs nothing.
    """
    url, enrolment = _office("/sync/api/bundles")
    result = PushResult()
    pending = sorted(identity.outbox().glob("*.sadar")) if identity.outbox().exists() else []
    identity.sent().mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(pending):
        try:
            answer = _call(
                url,
                body=path.read_bytes(),
                content_type="application/octet-stream",
                token=enrolment["token"],
                ca_file=enrolment.get("ca_file"),
            )
        except Refused as exc:
            result.error = f"{path.name}: {exc}"
            result.waiting = len(pending) - index
            return result
        path.replace(identity.sent() / path.name)
        result.sent.append((path.name, answer.get("message", "")))
    db.session.rollback()  # nothing to write; end the read transaction
    return result
