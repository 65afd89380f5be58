"""Rules for editions and standards (DESIGN §7)."""

from __future__ import annotations

from typing import Any

from kvip.accounts.models import User
from kvip.accounts.permissions import any_coordinator
from kvip.core.permissions import rule


@rule("editions.manage")
def _editions_manage(user: User, _obj: Any) -> bool:
    """Editions are shared by networks: admins and any coordinator manage them."""
    return user.is_admin or any_coordinator(user)


@rule("standards.read")
def _standards_read(user: User, _obj: Any) -> bool:
    return True
