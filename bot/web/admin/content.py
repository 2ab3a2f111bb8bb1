"""Dashboard content page (``/admin/content``): every document, filters, and per-document overrides
(hide / show, internal / public, case / article) that survive rebuilds (``indexer.overrides``).

Hiding a document or making it internal takes effect in every search on the next request (the
searchers' overlay); a change is also indexed on this node at once by a background update, which is
what makes "show again", "public" and case/article visible in searches.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for

import indexer  # the catalog and the build load on an admin's first use, not in every worker's start
from bot.services import Services, services
from bot.web.admin import bp
from bot.web.view import WEB_CREATOR
from config.errors import IndexLocked
from indexer import SharedUnavailable, fold, load_rules, read_overrides, set_override

log = logging.getLogger(__name__)

PAGE_SIZE = 50
JOB = "content-update"
ORIGINS = {"file": "内容目录", "url": "网址清单", "wechat": "公众号已发布", "wechat:link": "管理员转发"}
VISIBILITY_FILTERS = {"public": "公开", "internal": "内部", "hidden": "已隐藏"}
ACTIONS = {
    "hide": ("hidden", True),
    "show": ("hidden", None),
    "internal": ("visibility", "internal"),
    "public": ("visibility", "public"),
    "case": ("kind", "case"),
    "article": ("kind", "article"),
}
DONE = {
    "hide": "已隐藏：客户和员工都搜不到了。",
    "show": "已恢复显示，索引更新后就能搜到。",
    "internal": "已设为内部：客户从下一次搜索起就看不到了，员工照常能搜到。",
    "public": "已设为公开，索引更新后客户也能搜到。",
    "case": "已设为案例，索引更新后按案例显示。",
    "article": "已设为文章，索引更新后按文章显示。",
}


@dataclass(frozen=True)
class Column:
    """An extra per-document figure on the page: ``counts(services) -> {id: n}`` for every document in
    one Redis read (the whole list can then be sorted by it, at the same cost as one page)."""

    key: str  # ?sort=<key>
    label: str
    counts: Callable[[Services], dict[str, int]]
    note: str = ""


# Extension point: a store that counts something per document adds its column here.
COLUMNS: list[Column] = [
    Column(
        "picks",
        "选中",
        lambda svc: svc.store.rules.doc_picks(),
        "用户在结果列表里回复序号打开这篇的次数（同一人同一篇一天算一次）",
    ),
    Column(
        "shares",
        "分享",
        lambda svc: svc.store.shares.totals(),
        "员工取这篇的卡片或分享文案的次数（同一员工同一篇一天算一次）",
    ),
]
FILTERS = ("q", "source", "kind", "visibility")


@bp.get("/content")
def content():
    """Every document with its source, date, kind, visibility, picks, shares and the admins' overrides."""
    svc = services()
    args = {k: request.args.get(k, "").strip()[:100] for k in FILTERS}
    sort = request.args.get("sort", "")
    args["sort"] = sort if any(c.key == sort for c in COLUMNS) else ""
    try:
        overrides = read_overrides(svc.store.content)
        withdrawn = svc.store.content.withdrawn()
    except SharedUnavailable:
        abort(503)
    catalog = indexer.content_catalog(svc.settings.index_dir)
    rows = [_row(e, overrides.get(e["id"])) for e in catalog if e["id"] not in withdrawn]
    rows.sort(key=lambda r: (r["date"], r["title"]), reverse=True)  # newest first
    figures = [(column, column.counts(svc)) for column in COLUMNS]
    for column, counts in figures:
        if column.key == args["sort"]:  # most first; ties stay newest first (the sort is stable)
            rows.sort(key=lambda r, counts=counts: counts.get(r["id"], 0), reverse=True)
    shown = [r for r in rows if _matches(r, args)]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    visible = shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    kept = {k: v for k, v in args.items() if v and k != "sort"}
    columns = [
        {
            "key": column.key,
            "label": column.label,
            "note": column.note,
            "counts": counts,
            "link": url_for("admin.content", **kept, sort=column.key),
            "active": column.key == args["sort"],
        }
        for column, counts in figures
    ]
    return render_template(
        "admin/content.html",
        rows=visible,
        total=len(rows),
        matching=len(shown),
        page=page,
        pages=max(1, -(-len(shown) // PAGE_SIZE)),
        args=args,
        newest_link=url_for("admin.content", **kept),
        origins=ORIGINS,
        visibility_filters=VISIBILITY_FILTERS,
        columns=columns,
        rules=_rules(svc),
        updating=svc.jobs.running(JOB),
    )


@bp.post("/content/set")
def set_content():
    """Apply one override to one document, then index the change here in the background."""
    svc = services()
    doc_id, action = request.form.get("doc_id", ""), request.form.get("action", "")
    if action not in ACTIONS:
        abort(400)
    entry = next((e for e in indexer.content_catalog(svc.settings.index_dir) if e["id"] == doc_id), None)
    if entry is None:
        abort(404)
    field, value = ACTIONS[action]
    if value == entry.get(f"base_{field}"):
        value = None  # back to what the content and the rules say: no override needed
    try:
        set_override(svc.store.content, doc_id, by=WEB_CREATOR, title=entry["title"], **{field: value})
    except SharedUnavailable:
        abort(503)
    log.info("内容设置：%s %s（管理后台）", action, doc_id)
    flash(f"《{entry['title']}》" + DONE[action], "ok")
    refresh_index(svc)
    back = {k: v for k in (*FILTERS, "sort", "page") if (v := request.form.get(k, "").strip())}
    return redirect(url_for("admin.content", **back) + f"#doc-{_anchor(doc_id)}")


def refresh_index(svc: Services) -> None:
    """Index the latest overrides on this node; changes made while an update runs get one more pass."""
    _pending.set()
    svc.jobs.start_once(JOB, lambda: _update_while_pending(svc))


_pending = threading.Event()


def _update_while_pending(svc: Services) -> None:
    while _pending.is_set():
        _pending.clear()
        try:
            indexer.update(svc.settings, shared=svc.store.content, wait=120)
        except IndexLocked as exc:  # a rebuild is running; it or the next build picks the change up
            log.info("内容设置等下次构建生效：%s", exc)
            return


def _row(entry: dict, override) -> dict:
    hidden = bool(override and override.hidden)
    visibility = (override and override.visibility) or entry["base_visibility"]
    kind = (override and override.kind) or entry["base_kind"]
    built = (entry["hidden"], entry["visibility"], entry["kind"])
    return {
        **entry,
        "now_hidden": hidden,
        "now_visibility": visibility,
        "now_kind": kind,
        "changes": override.describe() if override else [],
        "changed_by": override.by if override else "",
        "changed_at": override.at if override else 0,
        "pending": built != (hidden, visibility, kind),
        "anchor": _anchor(entry["id"]),
    }


def _matches(row: dict, args: dict[str, str]) -> bool:
    if args["q"] and fold(args["q"]) not in fold(row["title"]):
        return False
    if args["source"] and row["origin"] != args["source"]:
        return False
    if args["kind"] and row["now_kind"] != args["kind"]:
        return False
    if args["visibility"] == "hidden":
        return row["now_hidden"]
    return not args["visibility"] or (row["now_visibility"] == args["visibility"] and not row["now_hidden"])


def _rules(svc: Services) -> list[dict]:
    rules, problems = load_rules(svc.settings.config_dir)
    counted = {r["name"]: r["matched"] for r in (indexer.last_report(svc.settings.index_dir) or {}).get("rules") or []}
    described = [{"name": r.name, "rule": r.describe(), "matched": counted.get(r.name)} for r in rules]
    return described + [{"name": "规则文件有误", "rule": p.reason, "matched": None} for p in problems]


def _anchor(doc_id: str) -> str:
    return hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:10]
