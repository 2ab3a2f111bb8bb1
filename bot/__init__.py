"""CaseLink's WeChat Official Account bot. Gunicorn runs ``bot:create_app()``."""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(settings=None):
    """Build the Flask app (see :func:`bot.app.create_app`)."""
    from bot.app import create_app as factory

    return factory(settings)
