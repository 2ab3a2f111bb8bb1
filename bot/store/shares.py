"""Who shared what, and how often shared links were opened — counted per day, without keeping who read.

    caselink:shares:day:<yyyymmdd>            hash doc id → shares that day
    caselink:shares:byuser:<yyyymmdd>         hash sharer → shares that day
    caselink:shares:opens:<yyyymmdd>:<doc>    HyperLogLog of the day's viewers of a document
    caselink:shares:uopens:<yyyymmdd>:<who>   HyperLogLog of viewer+document opened through a sharer's links
    caselink:shares:dayopens:<yyyymmdd>       HyperLogLog of viewer+document, all documents (the chart)
    caselink:shares:opened:<yyyymmdd>         set of documents / ``openers:`` set of sharers opened that day
    caselink:shares:total                     hash doc id → shares ever (the content page's column)
    caselink:shares:docs                      hash doc id → title (titles outlive the index)
    caselink:shares:sharers                   hash sharer → openid (to show the employee's name)
    caselink:sharedup:<yyyymmdd>              set of sharer+document already counted that day (2 days)

A share is an employee fetching a kit or a card of a public document; the same employee sharing the
same document again on the same day is one share. An open is a distinct viewer: a HyperLogLog only
answers "how many different", so nothing about a reader can be read back from it (and what is added
is already a salted hash of a random per-browser cookie). Every key but the de-duplication set is
durable: the counts are the record of what travelled.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import redis

from bot.store.connection import Connection
from config import clock

DEDUP_TTL = 2 * 86400


class Shares:
    """Share and open counts per day, per document and per employee (see the module docstring)."""

    def __init__(self, db: Connection, tz: dt.tzinfo | None = None):
        self._db = db
        self._tz = tz or clock.zone()  # days are the site's (SITE_TIMEZONE)

    def today(self) -> dt.date:
        return dt.datetime.now(self._tz).date()

    def _day(self, day: dt.date | None = None) -> str:
        return (day or self.today()).strftime("%Y%m%d")

    def record_share(self, doc_id: str, sharer: str, openid: str, title: str) -> bool:
        """Count one share (once per sharer, document and day); True when it counted."""
        day, key = self._day(), self._db.key

        def record(r: redis.Redis) -> bool:
            dedup = key("sharedup", day)
            pipe = r.pipeline()
            pipe.sadd(dedup, f"{sharer}|{doc_id}")
            pipe.expire(dedup, DEDUP_TTL)
            pipe.hset(key("shares", "docs"), doc_id, title)
            if openid:  # a kit opened from a results page knows only the hash
                pipe.hset(key("shares", "sharers"), sharer, openid)
            if not pipe.execute()[0]:
                return False
            pipe = r.pipeline()
            pipe.hincrby(key("shares", "day", day), doc_id, 1)
            pipe.hincrby(key("shares", "byuser", day), sharer, 1)
            pipe.hincrby(key("shares", "total"), doc_id, 1)
            pipe.execute()
            return True

        return bool(self._db.call(record, False))

    def record_open(self, doc_id: str, sharer: str, viewer: str, title: str) -> None:
        """Count a viewer opening a shared link (a viewer opening it again adds nothing)."""
        day, key = self._day(), self._db.key

        def record(r: redis.Redis) -> None:
            pipe = r.pipeline()
            pipe.pfadd(key("shares", "opens", day, doc_id), viewer)
            pipe.pfadd(key("shares", "dayopens", day), f"{viewer}|{doc_id}")
            pipe.sadd(key("shares", "opened", day), doc_id)
            pipe.hsetnx(key("shares", "docs"), doc_id, title)
            if sharer:
                pipe.pfadd(key("shares", "uopens", day, sharer), f"{viewer}|{doc_id}")
                pipe.sadd(key("shares", "openers", day), sharer)
            pipe.execute()

        self._db.call(record, None)

    def totals(self) -> dict[str, int]:
        """Shares of every document ever shared, by document id ({} without Redis)."""
        raw = self._db.call(lambda r: r.hgetall(self._db.key("shares", "total")), {})
        return {doc.decode("utf-8"): int(count) for doc, count in raw.items()}

    def report(self, days: int) -> dict[str, Any]:
        """The last ``days`` days: shares and opens per document and per sharer, and per day for a chart.

        ``{"days": [(date, shares, opens)], "docs": {id: {"title", "shares", "opens"}},
        "sharers": {sharer: {"openid", "shares", "opens"}}}``; empty when Redis is unavailable.
        """
        today = self.today()
        dates = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
        keys = [self._day(d) for d in dates]
        key = self._db.key

        def read(r: redis.Redis) -> dict[str, Any]:
            pipe = r.pipeline()
            for day in keys:
                pipe.hgetall(key("shares", "day", day))
                pipe.hgetall(key("shares", "byuser", day))
                pipe.pfcount(key("shares", "dayopens", day))
                pipe.smembers(key("shares", "opened", day))
                pipe.smembers(key("shares", "openers", day))
            rows = pipe.execute()
            doc_shares: Counter[str] = Counter()
            user_shares: Counter[str] = Counter()
            per_day, opened, openers = [], set(), set()
            for n, date in enumerate(dates):
                shared, by_user, opens, docs, users = rows[5 * n : 5 * n + 5]
                day_total = 0
                for doc, count in shared.items():
                    doc_shares[doc.decode("utf-8")] += int(count)
                    day_total += int(count)
                for user, count in by_user.items():
                    user_shares[user.decode("utf-8")] += int(count)
                per_day.append((date, day_total, int(opens)))
                opened |= {d.decode("utf-8") for d in docs}
                openers |= {u.decode("utf-8") for u in users}
            documents = sorted(set(doc_shares) | opened)
            sharers = sorted(set(user_shares) | openers)
            pipe = r.pipeline()
            for doc in documents:
                pipe.pfcount(*[key("shares", "opens", day, doc) for day in keys])
            for user in sharers:
                pipe.pfcount(*[key("shares", "uopens", day, user) for day in keys])
            counted = pipe.execute() if documents or sharers else []
            doc_opens = counted[: len(documents)]
            user_opens = counted[len(documents) :]
            titles = r.hmget(key("shares", "docs"), documents) if documents else []
            openids = r.hmget(key("shares", "sharers"), sharers) if sharers else []
            return {
                "days": per_day,
                "docs": {
                    doc: {"title": _text(titles[i]) or doc, "shares": doc_shares[doc], "opens": int(doc_opens[i])}
                    for i, doc in enumerate(documents)
                },
                "sharers": {
                    user: {"openid": _text(openids[i]), "shares": user_shares[user], "opens": int(user_opens[i])}
                    for i, user in enumerate(sharers)
                },
            }

        return self._db.call(read, {"days": [(d, 0, 0) for d in dates], "docs": {}, "sharers": {}})


def _text(raw: bytes | None) -> str:
    return raw.decode("utf-8") if raw else ""
