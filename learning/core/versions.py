"""Content versions shared by lessons and questions: identity by hash, numbers in order."""

import hashlib
import json


def content_hash(content: dict) -> str:
    """Return the SHA-256 of content in canonical JSON: same text, same version, anywhere."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def next_number(number_column, owner_column, owner_id) -> int:
    """Return the next version number of one owner (a lesson, a question)."""
    from sqlalchemy import func, select

    from learning.extensions import db  # here, so content_hash stays free of the database

    highest = db.session.scalar(select(func.max(number_column)).where(owner_column == owner_id))
    return (highest or 0) + 1
