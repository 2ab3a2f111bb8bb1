"""Operations endpoints: ``GET /healthz`` (index and Redis) and ``GET /metrics`` (Prometheus text)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, jsonify

from bot.services import Services, services
from config.errors import IndexNotReady

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 while the bot can answer (degraded Redis says redis=false); 503 without an index."""
    svc = services()
    redis_ok = svc.store.ping()
    try:
        index = index_status(svc)
    except IndexNotReady as exc:
        body = {"status": "unavailable", "reason": f"索引不可用：{exc}", "redis": redis_ok, "index_generation": None}
        return jsonify(body), 503
    status = "ok" if redis_ok else "degraded"
    return jsonify(status=status, redis=redis_ok, **index)


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus exposition of every worker's figures."""
    svc = services()
    try:
        index_status(svc)
    except IndexNotReady:
        svc.metrics.set_index(0, None)
    body, content_type = svc.metrics.render()
    return Response(body, content_type=content_type)


def index_status(svc: Services) -> dict:
    """The live generation, its size and age; records them in the metrics too. Raises IndexNotReady."""
    stats = svc.index.searcher().stats()
    age = _age_seconds(stats.get("built_at"))
    svc.metrics.set_index(stats["documents"], age)
    return {
        "index_generation": stats["generation"],
        "index_documents": stats["documents"],
        "index_built_at": stats.get("built_at"),
        "index_age_seconds": None if age is None else int(age),
        "index_rebuild_needed": bool(stats.get("rebuild_needed")),
    }


def _age_seconds(built_at: str | None) -> float | None:
    if not built_at:
        return None
    try:
        built = dt.datetime.fromisoformat(built_at)
    except ValueError:
        return None
    if built.tzinfo is None:
        built = built.replace(tzinfo=dt.UTC)
    return max(0.0, (dt.datetime.now(dt.UTC) - built).total_seconds())
