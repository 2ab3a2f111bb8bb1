"""``GET /healthz``: liveness, the live index generation and whether Redis answers."""

from __future__ import annotations

from flask import Blueprint, jsonify

from bot.services import services
from config.errors import CaseLinkError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Always 200 while the process serves; the body says what is degraded."""
    svc = services()
    try:
        generation = svc.index.searcher().stats().get("generation")
    except CaseLinkError:
        generation = None
    redis_ok = svc.state.ping()
    status = "ok" if generation and redis_ok else "degraded"
    return jsonify(status=status, index_generation=generation, redis=redis_ok)
