"""Search analytics: queries counted per day, with the ones that found nothing or nothing direct."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import redis

from bot.store.connection import Connection

ANALYTICS_TTL = 35 * 86400
CHINA = dt.timezone(dt.timedelta(hours=8))  # analytics days are the users' days


class Analytics:
    """Daily query counts (all, zero-result, weak) and the top queries over recent days."""

    def __init__(self, db: Connection):
        self._db = db

    def log_query(self, query: str, total: int, weak: bool) -> None:
        """Count a search by day, separately for queries that found nothing or nothing direct."""
        day = dt.datetime.now(CHINA).strftime("%Y%m%d")
        query = query.strip()[:50]
        if not query:
            return

        kinds = ["q"] + (["q0"] if total == 0 else ["qweak"] if weak else [])
        keys = [self._db.key(kind, day) for kind in kinds]

        def log_it(pipe) -> None:
            for key in keys:
                pipe.zincrby(key, 1, query)
                pipe.expire(key, ANALYTICS_TTL)

        self._db.write(log_it)  # with the message's other writes, when there is a message

    def top_queries(self, kind: str = "q", days: int = 7, limit: int = 10) -> list[tuple[str, int]]:
        """The most frequent queries of the last ``days`` days: kind "q" all, "q0" zero-result, "qweak"."""
        today = dt.datetime.now(CHINA).date()
        keys = [self._db.key(kind, (today - dt.timedelta(days=i)).strftime("%Y%m%d")) for i in range(days)]

        def read(r: redis.Redis) -> Counter:
            pipe = r.pipeline()
            for key in keys:
                pipe.zrange(key, 0, -1, withscores=True)
            counts: Counter = Counter()
            for rows in pipe.execute():
                for member, score in rows:
                    counts[member.decode("utf-8")] += int(score)
            return counts

        counts = self._db.call(read, Counter())
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
