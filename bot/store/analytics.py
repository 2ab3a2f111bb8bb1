"""Search analytics: searches counted per local day, clients apart from employees, bounded in size.

    searches:<day>:<c|e>:all    zset, search → times searched that day (c clients, e employees)
    searches:<day>:<c|e>:zero   the same for searches that found nothing
    searches:<day>:<c|e>:weak   … and for those with nothing that matched directly
    searches:<day>:totals       hash: c / e = all searches, c:over / e:over = those not listed
    searches:<day>:rolled       set once the day has been rolled up

A day lists at most ``DAY_CAP`` different searches (a flood of random text cannot grow Redis
without bound: further new ones are only counted in ``…:over``); once the day is over it is
rolled up to its ``KEEP_PER_DAY`` most frequent, the rest added to ``over``. So reading 30 days
merges at most ~30 000 entries in Redis itself (ZUNIONSTORE), whatever the traffic. Days are the
site's (SITE_TIMEZONE); every key expires after ``ANALYTICS_TTL``.
"""

from __future__ import annotations

import datetime as dt
import secrets

import redis

from bot.store.connection import Connection
from config import clock

ANALYTICS_TTL = 35 * 86400
MAX_DAYS = 30  # the longest period shown
DAY_CAP = 5000  # different searches listed for one day
KEEP_PER_DAY = 1000  # … and kept once the day is over
ROLL_BACK_DAYS = 3  # days before today rolled up, if not yet, by the first search of a day
MAX_LABEL = 50
ALL, ZERO, WEAK = "all", "zero", "weak"
AUDIENCES = {"client": "c", "employee": "e"}
# One search counted: listed (if already listed today, or the day lists fewer than DAY_CAP), else
# counted in ``over``; the day's total; the day's ``rolled`` marker made by its first search.
# KEYS: the kind keys (all first), totals, rolled; ARGV: label, audience, cap, TTL, how many kinds
COUNT_SEARCH = """
local label, aud, cap, ttl, n = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local totals, rolled = KEYS[n + 1], KEYS[n + 2]
for i = 1, n do
  if redis.call('ZSCORE', KEYS[i], label) or redis.call('ZCARD', KEYS[i]) < cap then
    redis.call('ZINCRBY', KEYS[i], 1, label)
  elseif i == 1 then
    redis.call('HINCRBY', totals, aud .. ':over', 1)
  end
end
redis.call('HINCRBY', totals, aud, 1)
redis.call('SET', rolled, 0, 'NX', 'EX', ttl)
for i = 1, n + 1 do redis.call('EXPIRE', KEYS[i], ttl) end
return 1
"""


class Analytics:
    """Daily search counts per audience (all, zero-result, weak) and the top searches of recent days."""

    def __init__(self, db: Connection, tz: dt.tzinfo | None = None):
        self._db = db
        self._tz = tz or clock.zone()
        self._rolled_up = ""  # the day this process last rolled up the days before

    def _key(self, day: str, *parts: str) -> str:
        return self._db.key("searches", day, *parts)

    def log_search(self, label: str, audience: str, total: int, weak: bool) -> None:
        """Count one search (``label`` already says its filter, e.g. ``案例 个人品牌``) for today."""
        label = label.strip()[:MAX_LABEL]
        if not label:
            return
        day, aud = clock.day(self._tz), AUDIENCES.get(audience, "c")
        kinds = [ALL] + ([ZERO] if total == 0 else [WEAK] if weak else [])
        keys = [self._key(day, aud, kind) for kind in kinds]
        totals, rolled = self._key(day, "totals"), self._key(day, "rolled")
        args = [label, aud, DAY_CAP, ANALYTICS_TTL, len(keys)]
        # With the message's other writes when there is a message: one script, no answer needed.
        self._db.write(lambda pipe: pipe.eval(COUNT_SEARCH, len(keys) + 2, *keys, totals, rolled, *args))
        if self._rolled_up != day:  # a worker's first search of a day: roll up the days before it
            self._rolled_up = day
            self._roll_up_past_days()

    def _roll_up_past_days(self) -> None:
        """Trim the last few days (before today) to their most frequent searches, once each."""

        def roll(r: redis.Redis) -> None:
            for back in range(1, ROLL_BACK_DAYS + 1):
                day = clock.day(self._tz, back)
                if r.set(self._key(day, "rolled"), 1, ex=ANALYTICS_TTL, get=True) == b"1":
                    continue  # rolled up before (by this or another worker)
                for aud in AUDIENCES.values():
                    for kind in (ALL, ZERO, WEAK):
                        dropped = _trim(r, self._key(day, aud, kind), KEEP_PER_DAY)
                        if dropped and kind == ALL:
                            r.hincrby(self._key(day, "totals"), aud + ":over", dropped)

        self._db.call(roll, None)

    def top(self, audience: str, kind: str = ALL, days: int = 7, limit: int = 10) -> list[tuple[str, int]]:
        """The most frequent searches of the last ``days`` days (today included) by ``audience``."""
        aud = AUDIENCES.get(audience, "c")
        days = max(1, min(days, MAX_DAYS))
        keys = [self._key(clock.day(self._tz, back), aud, kind) for back in range(days)]
        scratch = self._db.key("searches", "tmp", secrets.token_hex(8))

        def read(r: redis.Redis) -> list[tuple[bytes, float]]:
            pipe = r.pipeline()  # MULTI/EXEC: merged, read and dropped in one step inside Redis
            pipe.zunionstore(scratch, keys)
            pipe.zrange(scratch, 0, limit - 1, desc=True, withscores=True)
            pipe.delete(scratch)
            return pipe.execute()[1]

        rows = self._db.call(read, [])
        return sorted(((m.decode("utf-8"), int(s)) for m, s in rows), key=lambda kv: (-kv[1], kv[0]))

    def totals(self, audience: str, days: int = 7) -> tuple[int, int]:
        """(searches, searches not listed individually) of the last ``days`` days by ``audience``."""
        aud = AUDIENCES.get(audience, "c")
        days = max(1, min(days, MAX_DAYS))

        def read(r: redis.Redis) -> tuple[int, int]:
            pipe = r.pipeline(transaction=False)
            for back in range(days):
                pipe.hmget(self._key(clock.day(self._tz, back), "totals"), aud, aud + ":over")
            rows = pipe.execute()
            return sum(int(a or 0) for a, _ in rows), sum(int(o or 0) for _, o in rows)

        return self._db.call(read, (0, 0))


def _trim(r: redis.Redis, key: str, keep: int) -> int:
    """Drop all but the ``keep`` highest-scored members; the sum of the dropped scores."""
    dropped = r.zrange(key, 0, -(keep + 1), withscores=True)
    if not dropped:
        return 0
    r.zremrangebyrank(key, 0, -(keep + 1))
    return int(sum(score for _, score in dropped))
