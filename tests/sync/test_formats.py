"""Bundles written by an older version of the app still import after an upgrade.

tests/data/sync/format-N/ keeps one real bundle of every format version the app has written,
with the (test-only) office key it was sealed for and the laptop's public key. When the format
changes, add an upgrade step in `learning.sync.bundle.UPGRADES`, bump FORMAT, and write the new
version's fixture with `SADAR_WRITE_FIXTURES=1 pytest tests/sync/test_formats.py`; the old ones
stay and must keep importing.
"""

import json
import os
import random
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from learning.extensions import db
from learning.sync import bundle, imports, records
from learning.sync.models import Device
from learning.villages.models import EventSummary
from learning.villages.services import ensure_fresh
from quizzes.models import QuizAnswer
from tests.sync.conftest import hold_event

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "sync"
VERSIONS = sorted(FIXTURES.glob("format-*"), key=lambda p: int(p.name.split("-")[1]))


def test_there_is_a_fixture_of_every_format_version():
    assert [int(p.name.split("-")[1]) for p in VERSIONS] == list(range(1, bundle.FORMAT + 1))


@pytest.mark.parametrize("folder", VERSIONS, ids=[p.name for p in VERSIONS])
def test_a_bundle_of_every_format_version_imports(folder, app, content, tmp_path, monkeypatch):
    expected = json.loads((folder / "expected.json").read_text())
    device = json.loads((folder / "device.json").read_text())
    office = tmp_path / "office-sync"
    office.mkdir()
    shutil.copy(folder / "office.key", office / "office.key")
    monkeypatch.setitem(app.config, "SYNC_DIR", str(office))
    db.session.add(
        Device(
            name="Laptop lama",
            device_key=device["device_key"],
            public_key=device["public_key"],
            created_by_name="uji",
        )
    )
    db.session.commit()

    report = imports.import_bundle(
        (folder / "bundle.sadar").read_bytes(), via="command", actor_name="uji"
    )
    db.session.commit()
    assert report.conflicts == 0
    assert {k: v for k, v in report.added.items()} == expected["records"]
    assert (
        db.session.scalar(select(func.count()).select_from(QuizAnswer))
        == (expected["records"]["answer"])
    )
    ensure_fresh()
    summary = db.session.scalar(select(EventSummary))
    assert summary.participants == expected["participants"] and summary.is_held
    again = imports.import_bundle(
        (folder / "bundle.sadar").read_bytes(), via="command", actor_name="uji"
    )
    assert again.already


@pytest.mark.skipif(not os.environ.get("SADAR_WRITE_FIXTURES"), reason="writes a new fixture")
def test_write_the_fixture_of_the_current_format(app, content, officers, make_laptop, enrol):
    laptop = make_laptop("laptop-format")
    enrol(laptop, officers[:1])
    event_id = hold_event(laptop, random.Random(1), villagers=3)
    data = laptop.export(event_id)
    folder = FIXTURES / f"format-{bundle.FORMAT}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bundle.sadar").write_bytes(data)
    shutil.copy(Path(app.config["SYNC_DIR"]) / "office.key", folder / "office.key")
    with laptop.context():
        from learning.sync import crypto, identity

        found = records.read_event_bundle(event_id)
        (folder / "device.json").write_text(
            json.dumps(
                {
                    "device_key": identity.device_key(),
                    "public_key": crypto.public_hex(identity.signing_key()),
                },
                indent=2,
            )
        )
    (folder / "expected.json").write_text(
        json.dumps(
            {"records": {k: len(v) for k, v in found.items() if v}, "participants": 3}, indent=2
        )
    )
