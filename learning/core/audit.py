"""Write and read the audit log."""

from sqlalchemy import or_, select

from learning.core.models import AuditEntry
from learning.extensions import db


def record_audit(actor, action: str, target_type: str, target_id, **details) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "display_name", None) or "sistem",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details={k: _plain(v) for k, v in details.items()},
    )
    db.session.add(entry)
    return entry


def _plain(value):
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, int | float | bool | str) or value is None:
        return value
    return str(value)


def list_audit_entries(
    limit: int = 200, target_type: str | None = None, action_prefixes=None
) -> list[AuditEntry]:
    """Return the newest audit entries first, of actions starting with one of the prefixes."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc()).limit(limit)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if action_prefixes:
        query = query.where(or_(*(AuditEntry.action.startswith(p) for p in action_prefixes)))
    return list(db.session.scalars(query))
