"""The conversation: what the bot answers to each message (``dispatch`` → ``router`` → handlers).

Importing the package registers every command, interpreter and flow with ``bot.chat.router``.
"""

from bot.chat import admin_commands, conversation, frontdesk, picks, roles, teaching  # noqa: F401  (they register themselves)
