"""Signed, expiring links to the results page ``/r/<token>`` ("查看全部 N 条").

The token (itsdangerous, SECRET_KEY, a salt of its own) carries the search — query, kind and tag
filters — the audience of the person who searched and a hash of their openid (for the log). It is
signed, not encrypted: it holds nothing the person who received it does not already know.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from bot.services import Services

SALT = "caselink.results-link"
MAX_QUERY_CHARS = 100  # what a results page repeats of a query; longer ones are cut
MAX_URL_BYTES = 512  # a link longer than this is not offered (it would crowd out results)
AUDIENCE_CODES = {"client": "c", "employee": "e"}


class LinkRefused(Exception):
    """The token cannot be used; ``status`` is 403 (tampered, malformed) or 410 (expired)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class ResultLink:
    """The search a results-page token stands for."""

    query: str
    audience: str  # "client" | "employee": who searched
    kind: str | None = None
    tag: str | None = None
    user: str = ""  # hash of the searcher's openid


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, link: ResultLink) -> str:
    """Sign ``link`` into a URL-safe token."""
    payload = {"q": link.query[:MAX_QUERY_CHARS], "a": AUDIENCE_CODES[link.audience], "u": link.user}
    if link.kind:
        payload["k"] = link.kind
    if link.tag:
        payload["t"] = link.tag
    return _serializer(secret_key).dumps(payload)


def read_token(secret_key: str, token: str, max_age: int) -> ResultLink:
    """The search behind ``token``; raise LinkRefused when it is tampered with (403) or expired (410)."""
    try:
        payload = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired:  # only raised for a genuine signature: an old link, not a forged one
        raise LinkRefused(410, "expired") from None
    except BadData:
        raise LinkRefused(403, "bad signature") from None
    audiences = {code: name for name, code in AUDIENCE_CODES.items()}
    if not isinstance(payload, dict) or payload.get("a") not in audiences or not isinstance(payload.get("q"), str):
        raise LinkRefused(403, "bad payload")
    kind, tag = payload.get("k"), payload.get("t")
    if kind not in (None, "article", "case") or not isinstance(tag, (str, type(None))):
        raise LinkRefused(403, "bad payload")
    return ResultLink(payload["q"], audiences[payload["a"]], kind, tag, str(payload.get("u", "")))


def results_url(svc: Services, openid: str, audience: str, query: str, kind: str | None, tag: str | None) -> str:
    """The page listing every hit of this search, or "" without PUBLIC_BASE_URL (or when too long)."""
    base = svc.settings.public_base_url
    if not base:
        return ""
    link = ResultLink(query, audience, kind, tag, svc.user_hash(openid))
    url = f"{base}/r/{make_token(svc.settings.secret_key, link)}"
    return url if len(url.encode("utf-8")) <= MAX_URL_BYTES else ""
