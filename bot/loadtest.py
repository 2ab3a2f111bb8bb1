"""``python -m bot bench``: webhook latency under concurrent load, as WeChat would cause it.

Each worker thread plays the WeChat server for its own users (safe mode by default: signed and
AES-encrypted pushes, encrypted replies verified and decrypted) and sends search queries to a
running bot. Reports the median and p99 latency of the whole HTTP round trip.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass

from bot.simulator import Simulator, http_transport

QUERIES = ["私域流量", "品牌", "小程序", "抖音 直播", "案例 社群", "营销", "企业微信", "KOL", "数字化转型", "复盘"]


@dataclass
class BenchResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    def percentile(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))] if data else 0.0

    def summary(self) -> str:
        median = statistics.median(self.latencies_ms) if self.latencies_ms else 0.0
        return (
            f"{self.requests} 个请求，{self.errors} 个失败，{self.requests / self.seconds:.0f} 个/秒；"
            f"延迟 p50 {median:.1f} ms，p90 {self.percentile(90):.1f} ms，p99 {self.percentile(99):.1f} ms"
        )


def run(url: str, settings, *, concurrency: int = 8, total: int = 400, encrypt: bool = True) -> BenchResult:
    """Send ``total`` search messages from ``concurrency`` threads; measure each round trip."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))

    def worker(n: int) -> None:
        nonlocal errors
        sim = Simulator(
            http_transport(url),
            settings.wechat_token,
            settings.wechat_aes_key,
            settings.wechat_appid,
            encrypt=encrypt,
            user=f"o-bench-{n}",
        )
        for i in counter:
            started = time.perf_counter()
            try:
                out = sim.text(QUERIES[i % len(QUERIES)])
                ok = not out.startswith(("[HTTP", "（没有被动回复"))
            except Exception:  # a failed request is counted, not fatal, in a benchmark
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors += not ok

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return BenchResult(len(latencies), errors, time.perf_counter() - started, latencies)
