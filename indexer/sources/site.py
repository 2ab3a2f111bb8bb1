"""Where a post lives on its site: base URL, Jekyll permalink patterns and `_config.yml`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from config import yaml_text
from indexer.document import Problem

DEFAULT_PERMALINK = "/:year/:month/:day/:title/"
# Jekyll's built-in permalink styles; a `_config.yml` without `permalink` means "date".
STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_PLACEHOLDER = re.compile(r":([a-z_]+)")
_DATED = re.compile(r":(?:year|month|day|i_month|i_day|short_year|hour|minute|second|y_day|week|short_day)")
# Jekyll's "pretty" slugify keeps letters (any script), digits and these; every other run becomes "-".
_SLUG_DROP = re.compile(r"(?:[^\w.~!$&'()+,;=@]|_)+")
# Characters RFC 3986 allows unescaped in a path, as Jekyll's URL.escape_path leaves them.
_PATH_SAFE = "/!$&'()*+,;=:@~"
_URL_SAFE = _PATH_SAFE + "?#[]%"


@dataclass(frozen=True)
class SiteInfo:
    """Base URL (with any baseurl) and permalink pattern for posts that name no URL of their own."""

    url: str = ""
    permalink: str = DEFAULT_PERMALINK
    timezone: str = ""  # IANA name; Jekyll renders post dates in it (GitHub Pages builds in UTC)

    @property
    def root(self) -> str:
        """The base URL without a trailing slash."""
        return self.url.strip().rstrip("/")


def resolve_site(content_dir: Path, site: SiteInfo | None) -> tuple[SiteInfo, list[Problem]]:
    """Use ``site`` when it names a URL, else what `<content_dir>/_config.yml` says."""
    if site is not None and site.root:
        return SiteInfo(site.root, site.permalink or DEFAULT_PERMALINK, site.timezone), []
    fallback = site.permalink if site is not None and site.permalink else DEFAULT_PERMALINK
    config_path = content_dir / "_config.yml"
    if not config_path.is_file():
        return SiteInfo("", fallback), []
    try:
        config = yaml_text.safe_load(config_path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = f"_config.yml 无法读取，站点地址和链接模式没有生效：{exc}"
        return SiteInfo("", fallback), [Problem("_config.yml", reason, "yaml")]
    if not isinstance(config, dict):
        return SiteInfo("", fallback), []
    base = str(config.get("url") or "").strip().rstrip("/")
    if not re.match(r"^https?://", base, re.I):
        return SiteInfo("", fallback), []
    url = (base + "/" + str(config.get("baseurl") or "").strip().strip("/")).rstrip("/")
    permalink = str(config.get("permalink") or "date")
    return SiteInfo(url, permalink, str(config.get("timezone") or "UTC")), []


def slugify(name: str) -> str:
    """Jekyll's `:title` slug: mode "pretty", case kept (`a b's -c` -> `a-b's-c`)."""
    return _SLUG_DROP.sub("-", name).strip("-")


def escape_path(path: str) -> str:
    """Percent-encode a URL path the way Jekyll does (non-ASCII and spaces, not `'` or `,`)."""
    return quote(path, safe=_PATH_SAFE)


def expand_permalink(
    site: SiteInfo,
    *,
    title: str,
    when: dt.date | dt.datetime | None,
    categories: tuple[str, ...] = (),
    pattern: str | None = None,
) -> str:
    """Build a post's absolute URL from the site's permalink pattern ("" when the site has no URL)."""
    if not site.root:
        return ""
    pattern = pattern or site.permalink or DEFAULT_PERMALINK
    pattern = STYLES.get(pattern, pattern)
    if when is None and _DATED.search(pattern):
        pattern = "/:title/"
    moment = _site_time(when, site.timezone) if when is not None else None
    values = {
        "title": slugify(title),
        "slug": slugify(title).lower(),
        "categories": "/".join(c.lower() for c in categories),
        "output_ext": ".html",
    }
    if moment is not None:
        for key, fmt in _DATE_PARTS.items():
            values[key] = moment.strftime(fmt)
        values["i_month"] = str(moment.month)
        values["i_day"] = str(moment.day)
    path = _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), pattern)
    path = "/" + re.sub(r"/{2,}", "/", path).lstrip("/")
    return site.root + escape_path(path)


_DATE_PARTS = {
    "year": "%Y",
    "month": "%m",
    "day": "%d",
    "short_year": "%y",
    "hour": "%H",
    "minute": "%M",
    "second": "%S",
    "y_day": "%j",
    "week": "%V",
    "short_day": "%a",
}


def _site_time(when: dt.date | dt.datetime, timezone: str) -> dt.date | dt.datetime:
    # Jekyll converts a dated post's time to the site's zone before building its URL, so
    # `2026-02-24 03:38 +0800` lives under /2026/02/23/ on a UTC-built site.
    if not isinstance(when, dt.datetime) or when.tzinfo is None or not timezone:
        return when
    try:
        return when.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return when


def absolute_url(site: SiteInfo, value: str) -> str:
    """Make a URL from front matter or a catalog absolute on the site ("" when it cannot be)."""
    value = value.strip()
    if not value:
        return ""
    if value.startswith("//"):
        value = "https:" + value
    if re.match(r"^https?://", value, re.I):
        return quote(value, safe=_URL_SAFE)
    if not site.root:
        return ""
    return site.root + quote("/" + value.lstrip("/"), safe=_URL_SAFE)
