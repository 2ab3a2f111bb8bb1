"""``python -m bot``: the bot's command line (serve, chat)."""

from bot.cli import cli

cli()
