"""Articles admins forward to the account (a ``link`` message): read the page safely, say what was
read, and ask ``1 公开 / 2 内部 / 3 案例 / 0 取消`` before anything is published (flow ``forward``).

An answered article is kept in the shared content state (every node indexes it) and indexed here at
once; ``撤回`` takes it back (``bot.chat.withdrawal``). An article that calls itself internal
("内部分享" …) is proposed as internal, and "3 案例" keeps that proposal.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlparse

import indexer  # the page fetch and the build it feeds load on first use: not in every worker's start
from bot import texts
from bot.chat import router
from bot.chat.replies import Reply, Text, escape, shorten, to_dict
from bot.deadline import slow_ahead
from bot.services import Context
from config.errors import CaseLinkError, IndexLocked
from indexer import Document, SharedUnavailable

log = logging.getLogger(__name__)

FLOW = "forward"
FETCH_TIMEOUT = 8.0  # past the reply deadline the answer is pushed; the fetch may take this long
SOURCE = "wechat:link"
MAX_BODY_CHARS = 200_000  # kept in the open flow until the admin answers
INTERNAL_WORDS = ("内部分享", "内部资料", "内部培训", "内部文件", "仅限内部", "请勿外传", "内部")
_ANSWER_WORDS = {"公开": "1", "内部": "2", "案例": "3", "取消": "0", "撤回": "0", "不要": "0"}
_SEPARATORS = re.compile(r"[\s,，、/和+]+")
_SPACE = re.compile(r"\s")


def add_link(ctx: Context, title: str, description: str, url: str) -> Reply:
    """Read a forwarded article and ask the admin how to publish it; nothing is published yet."""
    if urlparse(url or "").scheme not in ("http", "https"):
        return Text(texts.LINK_FAILED.format(error="链接不是 http(s) 地址"))
    slow_ahead()  # fetching may take longer than a reply may: the answer is pushed
    fetched = indexer.read_article(url, ctx.settings, timeout=FETCH_TIMEOUT)
    if not isinstance(fetched, Document) and fetched.category == "unsafe":
        log.warning("转发的链接被拒绝（%s）", fetched.reason)
        return Text(texts.LINK_FAILED.format(error=escape(fetched.reason)))
    if isinstance(fetched, Document):
        # WeChat's own Title/Description are what the forwarded card showed: prefer them.
        doc = replace(fetched, title=title or fetched.title, summary=description or fetched.summary)
        head = texts.FORWARD_READ.format(title=escape(shorten(doc.title, 60)), chars=_chars(doc.body))
    elif title:
        # The page could not be read (WeChat often shows servers a verification page): the card's
        # title and summary are all there is, and the admin decides whether that is worth keeping.
        doc = Document(id="url:" + url, kind="article", title=title, url=url, summary=description)
        head = texts.FORWARD_PARTIAL.format(title=escape(shorten(title, 60)), reason=escape(fetched.reason))
    else:
        return Text(texts.LINK_FAILED.format(error=escape(fetched.reason)))
    doc = replace(doc, source=SOURCE, body=doc.body[:MAX_BODY_CHARS], date=doc.date or dt.date.today())
    suggestion = _internal_label(doc)
    replaced = ctx.store.flows.get(ctx.openid) or {}
    data = {"doc": doc.to_dict(), "internal": bool(suggestion)}
    if not ctx.store.flows.start(ctx.openid, FLOW, data):
        return Text(texts.ADMIN_UNAVAILABLE)
    lines = [head, texts.FORWARD_ASK]
    if suggestion:
        lines.append(texts.FORWARD_SUGGEST_INTERNAL.format(where=suggestion[0], word=suggestion[1]))
    if replaced.get("name") == FLOW:
        old = (replaced.get("data") or {}).get("doc") or {}
        lines.append(texts.FORWARD_REPLACED.format(title=escape(shorten(old.get("title", ""), 30))))
    return Text("\n".join(lines))


@router.flow(FLOW)
def answer(ctx: Context, text: str, data: dict[str, Any]) -> Reply | None:
    """The admin's answer: publish as they chose, cancel, or (anything else) leave it unpublished."""
    if not ctx.is_admin:  # the role was taken away meanwhile
        ctx.store.flows.end(ctx.openid)
        return None
    doc = Document.from_dict(data["doc"])
    choice = parse_answer(text)
    if choice is None:  # the admin moved on: say the article was left out, then answer the text
        ctx.store.flows.end(ctx.openid)
        note = Text(texts.FORWARD_DROPPED.format(title=escape(shorten(doc.title, 30))))
        reply = router.respond_to_text(text, ctx)
        if isinstance(reply, Text):
            return Text(note.content + "\n\n" + reply.content)
        ctx.store.messages.push_pending(ctx.openid, to_dict(note))
        return reply
    ctx.store.flows.end(ctx.openid)
    if choice == "cancel":
        return Text(texts.FORWARD_CANCELLED)
    visibility, kind = choice
    doc = replace(doc, visibility=visibility or ("internal" if data.get("internal") else "public"), kind=kind)
    saved, note = publish(ctx, doc)
    if not saved:
        return Text(texts.LINK_FAILED.format(error=escape(note)))
    what = ("内部" if doc.visibility == "internal" else "公开") + texts.KIND_NAMES[doc.kind]
    who = texts.FORWARD_INTERNAL_WHO if doc.visibility == "internal" else texts.FORWARD_PUBLIC_WHO
    return Text(texts.FORWARD_DONE.format(what=what, title=escape(shorten(doc.title, 60)), who=who) + note)


def parse_answer(text: str) -> tuple[str | None, str] | str | None:
    """``"cancel"``, (visibility or None for "as proposed", kind), or None when ``text`` is no answer."""
    compact = _SEPARATORS.sub("", text.strip())
    for word, digit in _ANSWER_WORDS.items():
        compact = compact.replace(word, digit)
    compact = compact.replace("文章", "")
    if compact == "0":
        return "cancel"
    if not compact or len(compact) > 3 or not set(compact) <= {"1", "2", "3"} or {"1", "2"} <= set(compact):
        return None
    visibility = "internal" if "2" in compact else "public" if "1" in compact else None
    return visibility, "case" if "3" in compact else "article"


def publish(ctx: Context, doc: Document) -> tuple[bool, str]:
    """Keep and index ``doc``: (kept, a note for the admin in Chinese: the reason when it was not kept)."""
    try:
        indexer.add_forwarded(ctx.settings, doc, by=ctx.openid, shared=ctx.store.content)
    except IndexLocked:
        log.warning("转发的文章已保存，索引正忙，下次构建时加入")
        return True, texts.LINK_INDEX_BUSY  # kept in the shared state: the next build indexes it
    except SharedUnavailable as exc:
        log.error("收录转发文章失败：%s", exc)
        return False, str(exc)
    except Exception as exc:  # kept in the shared state; the admin gets a reason, the log the whole traceback
        log.exception("收录转发文章失败：建索引出错（%s）", type(exc).__name__)
        return True, index_failed_note(exc)
    return True, ""


def index_failed_note(exc: Exception) -> str:
    """Tell the admin why a kept article is not searchable on this node yet, markup made inert."""
    if isinstance(exc, OSError):
        reason = f"索引目录写不进去（{exc.strerror or type(exc).__name__}），请检查磁盘空间和 INDEX_DIR 的权限"
    elif isinstance(exc, CaseLinkError):
        reason = texts.describe_error(exc)
    else:
        reason = f"建索引时出了意外错误（{type(exc).__name__}）"
    # Error texts come from the system and from what builds read: never let them add links to a reply.
    return texts.LINK_INDEX_FAILED.format(reason=escape(reason))


def _internal_label(doc: Document) -> tuple[str, str] | None:
    for where, text in (("标题", doc.title), ("摘要", doc.summary), ("正文开头", doc.body[:300])):
        for word in INTERNAL_WORDS:
            if word in text:
                return where, word
    return None


def _chars(body: str) -> str:
    return f"{len(_SPACE.sub('', body)):,}"
