"""Articles admins forward to the account (a ``link`` message): read the page safely, keep the article
in the shared content state (every node indexes it) and index it here at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from urllib.parse import urlparse

from bot import texts
from bot.chat.replies import Reply, Text, escape, shorten
from bot.services import Context
from config.errors import CaseLinkError, IndexLocked
from indexer import Document, SharedUnavailable, add_forwarded, read_article

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 8.0  # past the reply deadline the answer is pushed; the fetch may take this long
SOURCE = "wechat:link"


def add_link(ctx: Context, title: str, description: str, url: str) -> Reply:
    """Add an article an admin forwarded to the index, once its page was fetched safely."""
    if urlparse(url or "").scheme not in ("http", "https"):
        return Text(texts.LINK_FAILED.format(error="链接不是 http(s) 地址"))
    fetched = read_article(url, ctx.settings, timeout=FETCH_TIMEOUT)
    if not isinstance(fetched, Document):
        # Nothing is published from a page that could not be read (it may not even be a public page).
        log.info("转发的文章没有收录（%s）：%s", fetched.category, fetched.reason)
        return Text(texts.LINK_FAILED.format(error=escape(fetched.reason)))
    # WeChat's own Title/Description are what the forwarded card showed: prefer them.
    doc = replace(fetched, title=title or fetched.title, summary=description or fetched.summary, source=SOURCE)
    if doc.date is None:
        doc = replace(doc, date=dt.date.today())
    saved, note = publish(ctx, doc)
    if not saved:
        return Text(texts.LINK_FAILED.format(error=escape(note)))
    return Text(texts.LINK_ADDED.format(title=escape(shorten(doc.title, 60))) + note)


def publish(ctx: Context, doc: Document) -> tuple[bool, str]:
    """Keep and index ``doc``: (kept, a note for the admin in Chinese: the reason when it was not kept)."""
    try:
        add_forwarded(ctx.settings, doc, by=ctx.openid, shared=ctx.store.content)
    except IndexLocked:
        log.warning("转发的文章已保存，索引正忙，下次构建时加入")
        return True, texts.LINK_INDEX_BUSY  # kept in the shared state: the next build indexes it
    except SharedUnavailable as exc:
        log.error("收录转发文章失败：%s", exc)
        return False, str(exc)
    except OSError as exc:
        log.exception("收录转发文章失败：写索引出错")
        return True, texts.LINK_INDEX_FAILED.format(
            reason=f"索引目录写不进去（{exc.strerror or type(exc).__name__}），请检查磁盘空间和 INDEX_DIR 的权限"
        )
    except CaseLinkError as exc:
        log.exception("收录转发文章失败")
        return True, texts.LINK_INDEX_FAILED.format(reason=texts.describe_error(exc))
    except Exception as exc:  # the admin gets a reason, the log the whole traceback
        log.exception("收录转发文章失败：意外错误")
        return True, texts.LINK_INDEX_FAILED.format(reason=f"建索引时出了意外错误（{type(exc).__name__}）")
    return True, ""
