"""The bot's WeChat API client: ``indexer.wechat_api``'s client with one access token for every worker.

Official doc 获取 Access token: the token lives in Redis (wechatpy's ``RedisStorage``) so all workers
use the same one, and only the worker holding the Redis lock refreshes it. A worker that cannot
get the lock (another one is refreshing, or Redis is away) never refreshes on its own: it waits
for the shared token to appear, and gives up with an error if it does not.
"""

from __future__ import annotations

import logging
import time

from wechatpy.exceptions import WeChatClientException

from indexer.wechat_api import WeChatAPIClient

log = logging.getLogger(__name__)

TOKEN_MARGIN = 300  # seconds before expiry at which the shared token is treated as expired
LOCK_TTL = 15.0  # the longest a worker may hold the refresh lock (a token call takes well under that)
LOCK_WAIT = 10.0
WAIT_STEP = 0.05


class SharedTokenClient(WeChatAPIClient):
    """WeChatAPIClient whose token is shared by every worker and refreshed only under the Redis lock."""

    def __init__(
        self, appid: str, secret: str, *, api_base: str, session, lock, timeout: float = 5.0, lock_wait=LOCK_WAIT
    ):
        super().__init__(appid, secret, api_base=api_base, session=session, timeout=timeout)
        self._lock = lock  # Store.lock: (name, timeout, wait) -> context manager yielding whether it was taken
        self.lock_wait = lock_wait

    def fetch_access_token(self) -> dict:
        """Get a token into the shared storage under the lock, or wait for the worker that holds it."""
        before = self.session.get(self.access_token_key)
        with self._lock("wechat-token", timeout=LOCK_TTL, wait=self.lock_wait) as acquired:
            current = self.session.get(self.access_token_key)
            if current and current != before:
                return {"access_token": current}  # refreshed by another worker while we waited
            if acquired:
                result = self.request_stable_token()
                ttl = max(60, int(result.get("expires_in", 7200)) - TOKEN_MARGIN)
                self.session.set(self.access_token_key, result["access_token"], ttl)
                log.info("已获取新的 access_token（%d 秒有效）", ttl)
                return result
        return {"access_token": self._await_shared(before)}

    def _await_shared(self, before: str | None) -> str:
        # Whoever holds the lock is fetching a token; it holds it at most LOCK_TTL.
        until = time.monotonic() + LOCK_TTL
        while time.monotonic() < until:
            current = self.session.get(self.access_token_key)
            if current and current != before:
                return current
            time.sleep(WAIT_STEP)
        log.warning("没能取得刷新 access_token 的锁，也没等到别的进程取得的新 token")
        raise WeChatClientException(None, "access_token 正由另一个进程刷新，未能等到", client=self)
