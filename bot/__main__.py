"""``python -m bot``: the bot's command line (serve, chat, menu, rules)."""

from bot.cli import cli

cli()
