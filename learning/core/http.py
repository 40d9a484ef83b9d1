"""Small helpers for requests: safe redirects and the client's address."""

from urllib.parse import urlsplit

from flask import request


def safe_next(target: str | None, fallback: str) -> str:
    """Return `target` if it is a path on this site, else `fallback` (no open redirects)."""
    if not target:
        return fallback
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return fallback
    return target


def client_address() -> str | None:
    """Return the client's address (set right by ProxyFix behind a reverse proxy)."""
    return request.remote_addr
