"""Permissions: one `role_required`, the `public` mark, and common role sets."""

from learning.accounts.models import Role
from learning.core.access import public, role_required

ALL_STAFF = (Role.ADMIN, Role.OFFICER)

__all__ = ["ALL_STAFF", "public", "role_required"]
