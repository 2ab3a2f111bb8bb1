"""Share kits as a sharer shares them, and their signed links: the kit page ``/k/<token>`` and the
counted redirect ``/s/<token>`` to an article.

Neither link expires: kits and shared links live in chats and 朋友圈 for years. A token carries a
document id and the hashed id of the employee who shares (``Services.user_hash``; empty for a
client, whose copy links to the article itself: a client's searches carry no tracking). Tokens are
signed (itsdangerous, SECRET_KEY, a salt each), not encrypted: they hold nothing personal. Whatever
a token says, the document is looked up again as a client sees the index, so a kit or a redirect
never shows anything internal.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from itsdangerous import BadData, URLSafeSerializer

from bot.links import LinkRefused
from bot.services import Services
from creative import Kit, NotShareable, Piece, make_kit

KIT_SALT = "caselink.kit-link"
SHARE_SALT = "caselink.share-link"
MAX_ID_CHARS = 200  # document ids are paths or catalog keys; longer ones are not ours


@dataclass(frozen=True)
class KitLink:
    """What a kit-page token stands for: a document, who shares it, and whether opening counts a share."""

    doc_id: str
    sharer: str = ""
    counts: bool = False  # opened from the results page's 分享 button (chat already counted its kits)


def make_kit_token(secret_key: str, link: KitLink) -> str:
    """Sign a kit-page link."""
    return URLSafeSerializer(secret_key, salt=KIT_SALT).dumps([link.doc_id, link.sharer, int(link.counts)])


def read_kit_token(secret_key: str, token: str) -> KitLink:
    """The kit behind ``token``; LinkRefused(403) when it is tampered with or malformed."""
    doc_id, sharer, counts = _load(secret_key, KIT_SALT, token, 3)
    return KitLink(doc_id, sharer, bool(counts))


def make_share_token(secret_key: str, doc_id: str, sharer: str) -> str:
    """Sign a shared link to ``doc_id`` by ``sharer`` (a hashed employee id)."""
    return URLSafeSerializer(secret_key, salt=SHARE_SALT).dumps([doc_id, sharer])


def read_share_token(secret_key: str, token: str) -> tuple[str, str]:
    """``(doc_id, sharer)`` of a shared link; LinkRefused(403) when tampered with or malformed."""
    doc_id, sharer = _load(secret_key, SHARE_SALT, token, 2)
    return doc_id, sharer


def _load(secret_key: str, salt: str, token: str, size: int) -> list:
    try:
        payload = URLSafeSerializer(secret_key, salt=salt).loads(token)
    except BadData:
        raise LinkRefused(403, "bad signature") from None
    if not (isinstance(payload, list) and len(payload) == size and isinstance(payload[0], str)):
        raise LinkRefused(403, "bad payload")
    if not payload[0] or len(payload[0]) > MAX_ID_CHARS or not isinstance(payload[1], str):
        raise LinkRefused(403, "bad payload")
    return payload


def sharer_of(svc: Services, openid: str, audience: str) -> str:
    """Whom a share counts for: the employee's hashed id; "" for a client (never tracked)."""
    return svc.user_hash(openid) if audience == "employee" else ""


def kit_url(svc: Services, doc_id: str, sharer: str, *, counts: bool = False, base: str = "") -> str:
    """The kit page of ``doc_id`` for ``sharer``, or "" without PUBLIC_BASE_URL (and no ``base``)."""
    base = base or svc.settings.public_base_url
    if not base:
        return ""
    return f"{base}/k/{make_kit_token(svc.settings.secret_key, KitLink(doc_id, sharer, counts))}"


def shared_url(svc: Services, hit, sharer: str, base: str = "") -> str:
    """The link to put in copy and cards: ``/s/…`` for an employee (counted), else the article's own URL."""
    base = base or svc.settings.public_base_url
    if not sharer or not base or not is_web_url(hit.url):
        return hit.url
    return f"{base}/s/{make_share_token(svc.settings.secret_key, hit.id, sharer)}"


def is_web_url(url: str) -> bool:
    """Whether ``url`` is an http(s) address a reader can open (and we may redirect to)."""
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def kit_for(svc: Services, hit, body: str, sharer: str, base: str = "") -> Kit:
    """The share kit of a public ``hit``; raise NotShareable when it is internal."""
    if hit.visibility != "public":
        raise NotShareable(hit.id)
    link = shared_url(svc, hit, sharer, base)
    return make_kit(Piece.of(hit, body), link, company=svc.settings.company_name)
