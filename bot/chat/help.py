"""``帮助`` by role: clients get the search help, employees a note on internal content too, admins
their commands (``帮助 搜索`` shows an admin the search help)."""

from __future__ import annotations

from bot import texts


def help_for(role: str, arg: str = "") -> str:
    """The help text for a user of ``role``."""
    if role == "admin" and arg.strip() not in ("搜索", "客户"):
        return texts.ADMIN_HELP
    if role in ("employee", "admin"):
        return texts.EMPLOYEE_HELP
    return texts.HELP
