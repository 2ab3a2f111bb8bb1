"""Read the account's own published articles through WeChat's `freepublish/batchget` API.

Official doc (获取已发布的消息列表):
https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_batchget.html
Request body ``{"offset": int, "count": 1..20, "no_content": 0}``; reply
``{"total_count", "item_count", "item": [{"article_id", "update_time", "content": {"news_item": [
{"title", "author", "digest", "content" (HTML), "content_source_url", "thumb_media_id", "thumb_url",
"url", "is_deleted", ...}]}}]}``. It lists only what was released with 发布 from the draft box, not
群发 mass-sends. wechatpy 1.8.18 has no wrapper, so we call ``client.post``.
"""

from __future__ import annotations

import datetime as dt
import logging

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from config import clock
from indexer.document import Document, Problem, SourceResult
from indexer.sources.fields import summarize
from indexer.sources.html_pages import html_to_text
from indexer.wechat_api import WeChatAPIClient

__all__ = ["WeChatAPIClient", "WeChatPublished"]

logger = logging.getLogger(__name__)

ENDPOINT = "freepublish/batchget"
PAGE_SIZE = 20  # the API's maximum
MAX_PAGES = 500  # 10 000 articles; stops a reply that never reaches total_count from looping forever
ERROR_HINTS = {
    -1: "微信系统繁忙，请稍后再试",
    40001: "AppSecret 不对或 access_token 已失效，请检查 WECHAT_APPID / WECHAT_SECRET",
    40164: "本机 IP 不在公众号的 IP 白名单里（公众号后台 → 设置与开发 → 基本配置）",
    42001: "access_token 已过期",
    45009: "今天的接口调用次数已用完",
    48001: "公众号没有这个接口的权限（未认证的账号不能调用）",
}


class WeChatPublished:
    """The account's published articles, read page by page with ``client``."""

    def __init__(self, client: WeChatClient):
        self.client = client

    def read(self, *, timeout: float = 10.0) -> SourceResult:
        """Return every article that is not deleted; an API error becomes one Problem ("api")."""
        result = SourceResult()
        where = self.client.API_BASE_URL + ENDPOINT
        offset = 0
        for _ in range(MAX_PAGES):
            try:
                page = self._page(offset, timeout)
            except WeChatClientException as exc:
                result.problems.append(Problem(where, self._reason(exc, len(result.documents)), "api"))
                break
            except requests.RequestException as exc:
                reason = f"连不上微信接口（{type(exc).__name__}）；已读取 {len(result.documents)} 篇，其余没有读取"
                result.problems.append(Problem(where, reason, "api"))
                break
            if not isinstance(page, dict):
                result.problems.append(Problem(where, "微信接口返回的不是 JSON，已停止读取", "api"))
                break
            items = page.get("item") or []
            for item in items:
                result.documents.extend(_documents(item, result.problems))
            offset += len(items)
            if not items or offset >= int(page.get("total_count") or 0):
                break
        return result

    def _page(self, offset: int, timeout: float):
        # A rejected token is fetched again and the call retried once by the client (indexer.wechat_api).
        return self.client.post(ENDPOINT, data={"offset": offset, "count": PAGE_SIZE, "no_content": 0}, timeout=timeout)

    @staticmethod
    def _reason(exc: WeChatClientException, read: int) -> str:
        code = exc.errcode
        what = f"errcode {code}：{exc.errmsg}" if code is not None else f"HTTP 错误：{exc}"
        hint = ERROR_HINTS.get(code, "")
        return f"微信接口 {ENDPOINT} 出错（{what}）{'，' + hint if hint else ''}；已读取 {read} 篇，其余没有读取"


def _documents(item: dict, problems: list[Problem]) -> list[Document]:
    article_id = str(item.get("article_id") or "")
    content = item.get("content") or {}
    date = _epoch_date(item.get("update_time") or content.get("update_time") or content.get("create_time"))
    docs = []
    # Numbered from 1, like the `idx` parameter of the article URLs; deleted ones keep their slot.
    for index, news in enumerate(content.get("news_item") or [], start=1):
        if news.get("is_deleted"):
            continue
        doc_id = f"wx:{article_id}:{index}"
        title, url = str(news.get("title") or "").strip(), str(news.get("url") or "").strip()
        if not title or not url:
            problems.append(Problem(url or doc_id, "已发布的文章缺少标题或链接，已跳过", "missing-field"))
            continue
        body = html_to_text(news.get("content") or "")
        docs.append(
            Document(
                id=doc_id,
                kind="article",
                title=title,
                url=url,
                summary=str(news.get("digest") or "").strip() or summarize(body),
                body=body,
                date=date,
                cover=str(news.get("thumb_url") or ""),
                source=url,
            )
        )
    return docs


def _epoch_date(stamp: object) -> dt.date | None:
    # WeChat times are epoch seconds; the account's readers are in China, so date them there.
    try:
        return dt.datetime.fromtimestamp(int(stamp), clock.zone()).date() if stamp else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None
