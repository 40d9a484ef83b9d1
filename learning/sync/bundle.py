"""Writing an event bundle on a laptop, and reading one's payload in any known format version.

Format 1 (this version): {"format", "bundle_id", "device", "sequence", "exported_at",
"event_id", "records": {kind: [{"id", "content", "local", "parents"}]}, "question_versions"}.
A newer format gets an entry in UPGRADES that turns the version before it into it, so a bundle
written by an older app still imports (tests/data/sync keeps one bundle of each version).
"""

import uuid
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from learning.core.settings import get_setting, put_setting
from learning.core.time import utcnow
from learning.events.models import Event
from learning.extensions import db
from learning.sync import crypto, identity, records
from learning.sync.crypto import BundleError
from learning.sync.models import SyncVersion
from quizzes.models import Question, QuestionVersion

FORMAT = 1
# {n: function turning a format-n payload into format n+1}
UPGRADES: dict = {}
QUESTION_VERSION_FIELDS = (
    "content_hash",
    "text",
    "options",
    "explanation",
    "citations",
    "illustration",
    "read_aloud",
)


@dataclass
class Written:
    path: Path
    bundle_id: uuid.UUID
    sequence: int
    counts: dict


def _next_sequence() -> int:
    sequence = int(get_setting("sync.sequence") or 0) + 1
    put_setting("sync.sequence", str(sequence))
    return sequence


def build_payload(event: Event, sequence: int, bundle_id: uuid.UUID) -> dict:
    """Every record of the event, with its stable id, and the question versions it answered."""
    found = records.read_event_bundle(event.id)
    # A record the office made and this laptop pulled (a scheduled event) names that version as
    # its parent: the office then knows holding it here is no conflict.
    pulled = dict(
        db.session.execute(
            select(SyncVersion.record_id, SyncVersion.content_hash).where(
                SyncVersion.kind == "event", SyncVersion.record_id == event.id
            )
        ).all()
    )
    payload_records = {}
    for kind in records.KINDS:
        payload_records[kind] = [
            {
                "id": str(record_id),
                "content": content,
                "local": {k: records.plain(v) for k, v in local.items()},
                "parents": [pulled[record_id]] if record_id in pulled else [],
            }
            for record_id, (content, local) in sorted(found[kind].items(), key=lambda i: str(i[0]))
        ]
    version_ids = {
        uuid.UUID(item["content"]["question_version_id"]) for item in payload_records["answer"]
    }
    for item in payload_records["attempt"]:
        version_ids.update(uuid.UUID(i["v"]) for i in item["content"]["items"] or ())
    question_versions = [
        {
            "id": str(version.id),
            "question_key": key,
            **{name: getattr(version, name) for name in QUESTION_VERSION_FIELDS},
        }
        for version, key in db.session.execute(
            select(QuestionVersion, Question.key)
            .join(Question, Question.id == QuestionVersion.question_id)
            .where(QuestionVersion.id.in_(sorted(version_ids)))
            .order_by(QuestionVersion.id)
        )
    ]
    return {
        "format": FORMAT,
        "bundle_id": str(bundle_id),
        "device": identity.device_key(),
        "sequence": sequence,
        "exported_at": utcnow().isoformat(),
        "event_id": str(event.id),
        "records": payload_records,
        "question_versions": question_versions,
    }


def export_event(event: Event) -> Written:
    """Seal the event's bundle into the outbox (the caller commits the sequence number)."""
    enrolment = identity.enrolment()
    if enrolment is None:
        raise BundleError(
            _("Laptop ini belum terdaftar di kantor. Jalankan `sadar-imigrasi sync enrol`."), 409
        )
    sequence = _next_sequence()
    bundle_id = uuid.uuid4()
    payload = build_payload(event, sequence, bundle_id)
    header = {
        key: payload[key] for key in ("format", "bundle_id", "device", "sequence", "exported_at")
    }
    data = crypto.seal(payload, header, enrolment["office_public_key"], identity.signing_key())
    folder = identity.outbox()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sequence:06d}-{event.id}.sadar"
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
    return Written(path, bundle_id, sequence, {k: len(v) for k, v in payload["records"].items()})


def upgrade(payload: dict, version: int) -> dict:
    """Bring a payload of an older format up to this one."""
    while version < FORMAT:
        payload = UPGRADES[version](payload)
        version += 1
    return payload


def check_format(header: dict) -> int:
    version = header.get("format")
    if not isinstance(version, int) or version < 1:
        raise BundleError(_("Bundel rusak: versi formatnya tidak terbaca."))
    if version > FORMAT:
        raise BundleError(
            _(
                "Bundel ini dibuat oleh versi aplikasi yang lebih baru (format %(n)s). "
                "Perbarui aplikasi di kantor, lalu impor lagi.",
                n=version,
            )
        )
    return version
