"""The account's front desk: fixed answers and small talk, the contact card, leads, hand-off to a person.

Importing the package registers its interpreters, actions and flows with ``bot.chat.router``.
"""

from bot.chat.frontdesk import handoff, leads  # noqa: F401  (register the hand-off and the lead form)
from bot.chat.frontdesk.answers import welcome

__all__ = ["welcome"]
