"""Accounts: every person is a User with a role."""

import secrets
import uuid

from flask_login import UserMixin
from sqlalchemy import Column, Enum, ForeignKey, Index, String, Table, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.core.access import Role
from learning.core.ids import StableIdMixin
from learning.core.time import UTCDateTime
from learning.extensions import db
from learning.regions.models import Village

officer_village = Table(
    "officer_village",
    db.metadata,
    Column("user_id", Uuid, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("village_code", ForeignKey("village.code"), primary_key=True, index=True),
)


def _new_session_token() -> str:
    return secrets.token_hex(8)


class User(StableIdMixin, UserMixin, db.Model):
    __tablename__ = "user_account"

    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    # Villagers have no username or password; staff log in with both.
    username: Mapped[str | None] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Part of the session id: changing it ends every session of this account at once.
    session_token: Mapped[str] = mapped_column(String(32), default=_new_session_token)
    # The officer's kiosk PIN (hashed): it takes a tablet out of kiosk mode.
    pin_hash: Mapped[str | None] = mapped_column(String(256))
    last_login_at = mapped_column(UTCDateTime, nullable=True)
    deactivated_at = mapped_column(UTCDateTime, nullable=True)

    villages: Mapped[list[Village]] = relationship(
        secondary=officer_village, order_by=Village.code, lazy="selectin"
    )

    # Staff lists by role: villagers' accounts are most of the table.
    __table_args__ = (Index("ix_user_account_role", "role", "is_active_account", "display_name"),)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    def get_id(self) -> str:
        return f"{self.id}.{self.session_token}"

    def rotate_session_token(self) -> None:
        """End every existing session of this account."""
        self.session_token = _new_session_token()

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class LoginFailure(db.Model):
    """A failed login, counted per account and per client address in a sliding window."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)


def parse_session_id(value: str) -> tuple[uuid.UUID, str] | None:
    """Split a session id made by `User.get_id`; None when malformed."""
    try:
        user_id, token = value.split(".", 1)
        return uuid.UUID(user_id), token
    except ValueError:
        return None
