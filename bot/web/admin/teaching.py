"""Dashboard teaching ("教它"): every rule with who made it and when, and the forms that add and
remove rules. The search preview (``bot.web.admin.search``) shows the rules of one query and its
教它 section posts here; changes apply from the next message in every worker (``bot.teaching``).
"""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for

from bot import teaching, texts
from bot.services import services
from bot.teaching import FILE_CREATOR, Rule, TeachingError
from bot.web.admin import bp
from bot.web.view import WEB_CREATOR, short_openid
from config.errors import CaseLinkError

log = logging.getLogger(__name__)

TYPE_NAMES = {teaching.REWRITE: "同义", teaching.PIN: "置顶"}
TAUGHT_NAMES = {"pinned": "置顶", "rewrite": "同义规则找到", "lifted": "常被选中"}


def rule_creator(by: str) -> str:
    """Who made a rule: the dashboard, a rules file, or an admin in WeChat."""
    if by == WEB_CREATOR:
        return "管理后台"
    if by == FILE_CREATOR:
        return "规则文件"
    return "微信 " + short_openid(by or "?")


TEMPLATE_HELPERS = {
    "rule_creator": rule_creator,
    "type_name": lambda t: TYPE_NAMES.get(t, t),
    "taught_name": lambda t: TAUGHT_NAMES.get(t, ""),
}


@bp.get("/rules")
def rules():
    """Every taught rule, newest first, with the forms to add a rewrite and remove rules."""
    found = [Rule.from_dict(r) for r in services().store.rules.all()]
    return render_template("admin/rules.html", rules=found, **TEMPLATE_HELPERS)


@bp.post("/rules/rewrite")
def add_rewrite():
    """Searching ``query`` also searches ``target``."""
    query, target = _field("query"), _field("target")
    try:
        rule = teaching.add(services().store, teaching.new_rewrite(query, target, by=WEB_CREATOR))
    except TeachingError as exc:
        flash(str(exc), "error")
    else:
        log.info("管理后台添加了规则 %s", rule.id)
        flash(f"已添加：搜索「{rule.query}」时也搜索「{rule.target}」。", "ok")
        try:
            if teaching.finds_nothing(services().index.searcher(), rule.target):
                flash(texts.TEACH_TARGET_EMPTY.format(target=rule.target).strip(), "warn")
        except CaseLinkError:
            pass  # no index yet: nothing to check the rule against
    return _back(query)


@bp.post("/rules/pin")
def add_pin():
    """Document ``doc`` first for ``query``."""
    query, doc = _field("query"), _field("doc", 300)
    try:
        hit = services().index.searcher().get(doc, audience="employee")
        if hit is None:
            raise TeachingError("这条内容已不在内容库里，请刷新后再试。")
        rule = teaching.add(services().store, teaching.new_pin(query, hit.id, hit.title, by=WEB_CREATOR))
    except CaseLinkError as exc:
        flash(str(exc), "error")
    else:
        log.info("管理后台添加了规则 %s", rule.id)
        note = "（内部内容：只有员工会看到它排在第一）" if hit.visibility == "internal" else ""
        flash(f"已置顶：搜索「{rule.query}」时「{hit.title}」排在第一{note}。", "ok")
    return _back(query)


@bp.post("/rules/remove")
def remove_rule():
    """Delete one rule by id."""
    rule_id = _field("id", 400)
    if not rule_id:
        abort(400)
    if services().store.rules.remove([rule_id]):
        log.info("管理后台删除了规则 %s", rule_id)
        flash("规则已删除，下一条消息起不再生效。", "ok")
    else:
        flash("没有这条规则（可能已被删除），或 Redis 不可用。", "warn")
    return _back(_field("query"))


def _field(name: str, limit: int = 100) -> str:
    value = request.form.get(name, "")
    if len(value) > limit:
        abort(400)
    return value.strip()


def _back(query: str):
    # Back to where the form was: the preview of the query, or the rules page (never a free URL).
    if request.form.get("back") == "search" and query:
        return redirect(url_for("admin.search", q=query, _anchor="teach"))
    return redirect(url_for("admin.rules"))
