"""The citation registry: legal instruments, cited provisions, and provisions marked changed."""

from pathlib import Path

import yaml
from sqlalchemy import select

from learning.core.audit import record_audit
from learning.core.citations import Citation, parse_citation
from learning.core.models import LegalInstrument, LegalProvision
from learning.core.time import utcnow
from learning.extensions import db


def read_instruments(path: Path) -> dict[str, dict]:
    """Return the instruments of content/instruments.yml as {key: {name, about}}."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key): dict(value) for key, value in data.items()}


def load_instruments(instruments: dict[str, dict]) -> int:
    """Insert or update the registry's instruments; return how many changed."""
    changed = 0
    for key, value in instruments.items():
        row = db.session.get(LegalInstrument, key)
        if row is None:
            db.session.add(LegalInstrument(key=key, name=value["name"], about=value["about"]))
            changed += 1
        elif (row.name, row.about) != (value["name"], value["about"]):
            row.name, row.about = value["name"], value["about"]
            changed += 1
    db.session.flush()
    return changed


def get_provisions(texts: list[str]) -> list[LegalProvision]:
    """Return the registry rows for these citations, creating the missing ones."""
    wanted = {parse_citation(t).text for t in texts}
    rows = {
        p.text: p
        for p in db.session.scalars(select(LegalProvision).where(LegalProvision.text.in_(wanted)))
    }
    for text in sorted(wanted - rows.keys()):
        rows[text] = LegalProvision(text=text, instrument_key=parse_citation(text).instrument)
        db.session.add(rows[text])
    db.session.flush()
    return [rows[t] for t in sorted(wanted)]


def list_changed_provisions() -> list[LegalProvision]:
    """Return the provisions the office has marked as changed."""
    return list(
        db.session.scalars(
            select(LegalProvision)
            .where(LegalProvision.changed_at.is_not(None))
            .order_by(LegalProvision.text)
        )
    )


def mark_provision_changed(text: str, note: str, actor) -> LegalProvision:
    """Mark a provision as changed or replaced; content citing it (or a part of it) is flagged."""
    citation = parse_citation(text)
    if citation is None:
        raise ValueError(text)
    (provision,) = get_provisions([citation.text])
    provision.changed_at = utcnow()
    provision.changed_note = note.strip()
    provision.changed_by_name = getattr(actor, "display_name", None)
    record_audit(actor, "provision.marked_changed", "provision", provision.text, note=note.strip())
    db.session.flush()
    return provision


def clear_provision_change(provision: LegalProvision, actor) -> None:
    """Withdraw a 'changed' mark (for example once all content is updated)."""
    provision.changed_at = None
    record_audit(actor, "provision.change_cleared", "provision", provision.text)
    db.session.flush()


def affected_by(citations: list[str], changed: list[LegalProvision]) -> list[LegalProvision]:
    """Return the changed provisions that any of these citations falls under."""
    parsed = [parse_citation(c) for c in citations]
    hits = []
    for provision in changed:
        marked: Citation = parse_citation(provision.text)
        if any(c is not None and c.falls_under(marked) for c in parsed):
            hits.append(provision)
    return hits
