"""Dashboard overview: index status, the last build report, and reindex with its progress page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from bot import buildjob
from bot.services import Services, services
from bot.web.admin import bp
from bot.web.view import WEB_CREATOR, report_view, stats_view
from config.errors import CaseLinkError


@bp.get("/")
def overview():
    """Index status, the last build report and whether Redis answers."""
    svc = services()
    return render_template(
        "admin/overview.html",
        stats=_stats(svc),
        report=report_view(svc.settings.index_dir),
        redis_ok=svc.store.ping(),
        build=buildjob.status(svc),
    )


@bp.post("/reindex")
def reindex():
    """Start a background rebuild unless one is running (here, in another worker or from WeChat)."""
    started = buildjob.start(services(), by=WEB_CREATOR)
    if started == buildjob.UNAVAILABLE:
        abort(503)
    if started == buildjob.STARTED:
        flash("已开始重建索引。", "ok")
    else:
        flash("已有重建在进行，请等它完成。", "warn")
    return redirect(url_for("admin.progress"))


@bp.get("/reindex")
def progress():
    """The current or last rebuild; refreshes itself while one runs, then shows the new report."""
    svc = services()
    build = buildjob.status(svc)
    running = bool(build) and build["state"] == buildjob.RUNNING
    report = report_view(svc.settings.index_dir) if build and not running else None
    return render_template("admin/reindex.html", build=build, running=running, report=report)


def _stats(svc: Services) -> dict:
    try:
        return stats_view(svc.index.searcher().stats())
    except CaseLinkError as exc:
        return {"error": str(exc)}
