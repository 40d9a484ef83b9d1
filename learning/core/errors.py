"""Refusals a service gives for the user to read, with the HTTP status a view answers with."""

import hashlib


class Refused(ValueError):
    """A change was refused; the message is for the user, `status` for the response."""

    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        if status:
            self.status = status


def hash_token(token: str) -> str:
    """Hash a secret token for storage (tokens are long and random: no salt needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
