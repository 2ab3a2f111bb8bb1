"""Dashboard page ``/admin/titles``: the title-pattern library and how often each pattern was shown.

Shipped patterns come from config/titles.yaml; an edit or removal made here is stored in Redis
under the same id and wins over the file (restore drops it). Added patterns live in Redis only.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from bot import title_ideas
from bot.services import services
from bot.web.admin import bp
from bot.web.view import WEB_CREATOR
from creative.titles import MAX_CHARS, PLATFORMS, STYLES, Pattern, check_pattern, render

SOURCES = {"yaml": "内置", "edited": "内置（已修改）", "admin": "管理员添加"}


@bp.get("/titles")
def titles():
    """Every pattern with its style, platforms, an example and the times it was shown."""
    svc = services()
    library = title_ideas.library(svc)
    usage = svc.store.titles.usage()
    style = request.args.get("style", "")
    shown = [p for p in library.patterns if not style or p.style == style]
    shown.sort(key=lambda p: (-usage.get(p.id, 0), p.id))
    removed = [pid for pid, entry in svc.store.titles.patterns().items() if entry.get("removed")]
    return render_template(
        "admin/titles.html",
        rows=[_row(p, usage.get(p.id, 0), library) for p in shown],
        total=len(library.patterns),
        used=sum(usage.get(p.id, 0) for p in library.patterns),
        style=style,
        styles=STYLES,
        platforms=PLATFORMS,
        removed=sorted(removed),
        form={"text": "", "style": STYLES[0], "platforms": list(PLATFORMS)},
        max_chars=MAX_CHARS,
    )


@bp.post("/titles")
def add_title():
    """Add a pattern."""
    svc = services()
    entry, problem = _entry_from_form()
    if problem:
        flash(f"没有添加：{problem}", "error")
        return redirect(url_for("admin.titles"))
    pattern_id = svc.store.titles.new_id()
    saved = bool(pattern_id) and svc.store.titles.save(pattern_id, entry, by=WEB_CREATOR)
    _tell(saved, f"已添加模板 {pattern_id}。", "保存")
    return redirect(url_for("admin.titles"))


@bp.get("/titles/<pattern_id>")
def edit_title(pattern_id: str):
    """The edit form of one pattern."""
    pattern = _pattern(pattern_id)
    form = {"text": pattern.text, "style": pattern.style, "platforms": list(pattern.platforms)}
    return render_template(
        "admin/title_form.html", pattern=pattern, form=form, styles=STYLES, platforms=PLATFORMS, max_chars=MAX_CHARS
    )


@bp.post("/titles/<pattern_id>")
def update_title(pattern_id: str):
    """Save an edit (for a shipped pattern: stored over the file's version)."""
    pattern = _pattern(pattern_id)
    entry, problem = _entry_from_form(numbers=list(pattern.numbers))
    if problem:
        flash(f"没有保存：{problem}", "error")
        return redirect(url_for("admin.edit_title", pattern_id=pattern_id))
    _tell(services().store.titles.save(pattern_id, entry, by=WEB_CREATOR), f"模板 {pattern_id} 已保存。", "保存")
    return redirect(url_for("admin.titles"))


@bp.post("/titles/<pattern_id>/remove")
def remove_title(pattern_id: str):
    """Remove a pattern: an added one is deleted; a shipped one is hidden (restorable)."""
    pattern = _pattern(pattern_id)
    store = services().store.titles
    if pattern.source == "admin":
        done = store.forget(pattern_id)
    else:
        done = store.save(pattern_id, {"removed": True}, by=WEB_CREATOR)
    _tell(done, f"模板 {pattern_id} 已删除。", "删除")
    return redirect(url_for("admin.titles"))


@bp.post("/titles/<pattern_id>/restore")
def restore_title(pattern_id: str):
    """Bring a shipped pattern back as config/titles.yaml has it."""
    shipped = {p.id for p in title_ideas.shipped(services().settings).patterns}
    if pattern_id not in shipped:
        abort(404)
    services().store.titles.forget(pattern_id)
    flash(f"模板 {pattern_id} 已恢复为内置的版本。", "ok")
    return redirect(url_for("admin.titles"))


def _tell(done: bool, ok: str, doing: str) -> None:
    # A store write returns False only when Redis did not take it: say so, and that trying later helps.
    if done:
        flash(ok, "ok")
    else:
        flash(f"现在无法{doing}（Redis 不可用），请稍后再试。", "error")


def _pattern(pattern_id: str) -> Pattern:
    found = next((p for p in title_ideas.library(services()).patterns if p.id == pattern_id), None)
    if found is None:
        abort(404)
    return found


def _entry_from_form(numbers: list[int] | None = None) -> tuple[dict, str]:
    text = request.form.get("text", "").strip()[: MAX_CHARS * 2]
    style = request.form.get("style", "")
    platforms = [p for p in request.form.getlist("platforms") if p in PLATFORMS]
    problem = check_pattern(text)
    if not problem and style not in STYLES:
        problem = "请选择风格"
    if not problem and not platforms:
        problem = "至少选一个平台"
    return {"text": text, "style": style, "platforms": platforms, "numbers": numbers or []}, problem


def _row(pattern: Pattern, used: int, library) -> dict:
    settings = services().settings
    words = {"品牌": settings.company_name or "青藤互动", "产品": "小程序", "行业": settings.company_industry or "餐饮"}
    return {
        "id": pattern.id,
        "text": pattern.text,
        "example": render(pattern, words, library) or "",
        "style": pattern.style,
        "platforms": "全部" if set(pattern.platforms) == set(PLATFORMS) else "、".join(pattern.platforms),
        "source": SOURCES.get(pattern.source, pattern.source),
        "used": used,
    }
