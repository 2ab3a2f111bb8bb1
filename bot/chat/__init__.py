"""The conversation: what the bot answers to each message (``dispatch`` → ``router`` → handlers).

Importing the package registers every command, interpreter and flow with ``bot.chat.router``.
"""

from bot.chat import (  # noqa: F401  (they register themselves; one a line, so merges stay small)
    admin_commands,
    conversation,
    forwarding,
    frontdesk,
    hot_words,
    picks,
    roles,
    sharing,
    teaching,
    team,
    titles,
    withdrawal,
)
