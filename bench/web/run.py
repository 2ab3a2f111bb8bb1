"""``python -m bench web``: CaseLink's webhook under load, beside the protocol floor, as the corpus grows.

Phases, all against 127.0.0.1 with bounded loops:

1. growth: for each corpus size, build the index (timed), search it in process, start the bot under
   gunicorn (``gunicorn.conf.py``) and measure cold start (process start → first verified answer),
   a short concurrency-8 load and the workers' memory; an incremental update at the main size;
2. load: the bot on the main corpus and the echo app (``bench.echo_app``) under the same config, at
   each concurrency level, alternating, ``repeat`` times; figures are medians over the repeats;
3. reindex: a full ``python -m indexer rebuild`` of the main corpus while concurrency-8 load runs;
   failed requests, p99 during the rebuild, and proof that answers come from the new generation.
"""

from __future__ import annotations

import asyncio
import compileall
import http.client
import json
import os
import platform
import secrets
import signal
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus import make_queries
from bench.echo_app import ECHO_TEXT
from bench.web import growth
from bench.web.cpu import Meter, local_redis_pid
from bench.web.load import (
    Keys,
    LevelResult,
    Record,
    RequestFactory,
    Stop,
    check,
    drive,
    percentile,
    reply_text,
    run_level,
    summarize,
)
from bench.web.servers import HOST, Gunicorn, RedisServer
from config.settings import PROJECT_ROOT

KEYS = Keys("caselink-bench-token", "Bq7mZt2xVn4Kd9Lp3Wr8Yc6Hs1Gf5Jh0Qa2Ue7Io4Ty", "wxcaselinkbench01")
ECHO_APP = "bench.echo_app:create_app()"
PACKAGES = ("config", "indexer", "creative", "bot", "bench")  # what the servers import
GROWTH_CONCURRENCY = 8
REINDEX_CONCURRENCY = 8


@dataclass
class Options:
    """What to run; the defaults are the documented full run (minus 50,000 documents)."""

    docs: int = 10_000
    levels: tuple[int, ...] = (1, 8, 32)
    duration: float = 10.0  # measured seconds per level, after the warm-up
    warmup: float = 2.0
    repeat: int = 3
    workers: int | None = None  # WEB_CONCURRENCY; None: gunicorn.conf.py's default (2 per core)
    sizes: tuple[int, ...] = (1_000, 10_000)
    growth_duration: float = 5.0
    echo: bool = True
    distinct: bool = True  # one more c=8 level whose searches never repeat
    reindex: bool = True
    workdir: Path = PROJECT_ROOT / "var" / "bench-web"
    chart: Path | None = PROJECT_ROOT / "docs" / "bench-growth.png"
    out: Path | None = None
    max_requests: int = 60_000  # per level: the loop's count bound
    log_level: str = "INFO"  # the bot's production default: one log line per message
    client: str = "raw"  # bench.web.load.drive: "raw" asyncio transports, or "aiohttp"
    max_busy: float = 0.3  # before a measurement, wait for the CPUs to be at most this busy...
    quiet_wait: float = 120.0  # ...for at most this many seconds
    reindex_limit: float = 900.0  # seconds: the rebuild-under-load phase never runs longer
    reindex_lead: float = 2.0  # seconds of load before the rebuild starts...
    reindex_tail: float = 3.0  # ...and after it ends
    search_queries: int = 200  # of the fixed list, timed in process per corpus size


@dataclass
class Bench:
    opts: Options
    say: Callable[[str], None]
    redis_url: str = ""
    redis_pid: int | None = None  # Redis's process on this machine, for the CPU split (None: not found)
    results: dict = field(default_factory=dict)
    queries: list[str] = field(default_factory=make_queries)

    # -- servers -----------------------------------------------------------------------------
    def env(self, index_dir: Path) -> dict[str, str]:
        return {
            "CASELINK_DEV": "0",
            "WECHAT_TOKEN": KEYS.token,
            "WECHAT_AES_KEY": KEYS.aes_key,
            "WECHAT_APPID": KEYS.appid,
            "WECHAT_SECRET": "caselink-bench-secret",
            "WECHAT_API_BASE": f"http://{HOST}:9/cgi-bin/",  # late answers are never pushed off this machine
            "ADMIN_TOKEN": "caselink-bench-admin",
            "SECRET_KEY": "caselink-bench-secret-key",
            "REDIS_URL": self.redis_url,
            "INDEX_DIR": str(index_dir),
            "URLS_FILE": str(self.opts.workdir / "no-urls.txt"),
            "SITE_URL": growth.SITE,
            "LOG_LEVEL": self.opts.log_level,
        }

    def server(self, name: str, index_dir: Path, app: str | None = None) -> Gunicorn:
        log = self.opts.workdir / "logs" / f"{name}.log"
        return Gunicorn(self.env(index_dir), log, app=app, workers=self.opts.workers).start()

    def factory(self, server: Gunicorn, queries: list[str] | None = None) -> RequestFactory:
        """Requests from the fixed query list at random, or from ``queries`` each once, in turn."""
        seed = secrets.randbelow(2**31)
        return RequestFactory(server.url, KEYS, queries or self.queries, seed=seed, distinct=queries is not None)

    # -- measurements ----------------------------------------------------------------------------
    def quiet(self) -> float:
        """Wait (bounded) until the machine is idle enough to measure; return how busy it was."""
        if self.opts.max_busy >= 1.0:
            return 0.0
        waited = 0.0
        busy = cpu_busy()
        while busy > self.opts.max_busy and waited < self.opts.quiet_wait:
            self.say(f"  machine {busy:.0%} busy: waiting")
            time.sleep(5)
            waited += 5 + 1
            busy = cpu_busy()
        return busy

    def level(self, name: str, server: Gunicorn, concurrency: int, *, queries=None, duration=None, echo=None):
        duration = self.opts.duration if duration is None else duration
        busy = self.quiet()
        cap = min(self.opts.max_requests, int((duration + self.opts.warmup) * min(4000, 2000 * concurrency)))
        scripts = self.factory(server, queries).prebuilt(cap)
        meter = Meter([server.proc.pid, *server.worker_pids()], self.redis_pid).start()
        result, _ = run_level(
            name,
            scripts,
            concurrency,
            duration,
            KEYS,
            warmup=self.opts.warmup,
            max_requests=cap,
            echo_text=echo,
            client=self.opts.client,
        )
        cpu = meter.stop(result.sent, result.client_cpu_s)
        self.say("  " + result.line() + (f"  {result.error_kinds}" if result.errors else "") + "  " + cpu_line(cpu))
        return {**result.to_json(), "cpu_ms": cpu, "machine_busy_before": round(busy, 2)}

    def cold_start(self, server: Gunicorn, timeout: float = 90.0) -> float:
        """Seconds from starting gunicorn to the first verified answer to a search."""
        factory = self.factory(server)
        deadline = time.monotonic() + timeout
        n = 0
        while time.monotonic() < deadline:
            req = factory.request("search", self.queries[n % len(self.queries)], factory.new_openid())
            n += 1
            started = time.perf_counter()
            try:
                status, body = post(server.port, req)
            except OSError:
                if server.proc is not None and server.proc.poll() is not None:
                    raise RuntimeError(f"gunicorn exited; see {server.log_path}") from None
                time.sleep(0.02)
                continue
            if check(Record(req, started, time.perf_counter(), status, body), KEYS) is None:
                return time.perf_counter() - server.started_at
            time.sleep(0.02)
        raise RuntimeError(f"no verified answer within {timeout:.0f}s; see {server.log_path}")

    # -- phases ------------------------------------------------------------------------------------
    def run(self) -> dict:
        o = self.opts
        o.workdir.mkdir(parents=True, exist_ok=True)
        self.results = {"machine": machine(), "options": options_json(o), "started": time.strftime("%Y-%m-%d %H:%M")}
        self.say(f"machine: {self.results['machine']}")
        compile_project()
        sizes = sorted(set(o.sizes))
        growth_rows: dict[int, dict] = {}
        main_built = None
        for docs in sizes:
            self.say(f"growth: {docs} documents")
            built = growth.build(o.workdir, docs)
            row = {
                "docs": built.docs,
                "build_s": round(built.build_s, 2),
                "docs_per_s": round(built.docs_per_s, 1),
                "index_mb": round(built.index_mb, 1),
            }
            p50, p95, p99 = growth.search_latency(built.settings, self.opts.search_queries)
            row.update(search_p50=round(p50, 2), search_p95=round(p95, 2), search_p99=round(p99, 2))
            self.say(
                f"  built in {built.build_s:.1f}s ({built.docs_per_s:.0f} docs/s), {built.index_mb:.0f} MB; "
                f"search p50 {p50:.1f} ms, p99 {p99:.1f} ms"
            )
            growth_rows[docs] = row
            if docs == o.docs:
                main_built = built
                continue  # measured with the main server below
            with self.server(f"bot-{docs}", built.settings.index_dir) as server:
                row.update(self.served(server))
        if main_built is None:
            self.say(f"building the main corpus: {o.docs} documents")
            main_built = growth.build(o.workdir, o.docs)
        main = self.server("bot", main_built.settings.index_dir)
        echo = self.server("echo", main_built.settings.index_dir, app=ECHO_APP) if o.echo else None
        try:
            served = self.served(main)
            if o.docs in growth_rows:
                growth_rows[o.docs].update(served)
            self.results["cold_start_s"] = served["cold_start_s"]
            if echo is not None:
                echo.wait_ready()
            self.results["update"] = growth.update_one(main_built.settings) if o.docs in growth_rows else None
            if self.results["update"]:
                self.say(f"  update of one changed document: {self.results['update']['seconds']:.2f}s")
            self.results["growth"] = [growth_rows[d] for d in sizes]
            self.load_levels(main, echo)
            self.results["memory_after_load"] = main.memory()
            self.say(f"  workers after load: {self.results['memory_after_load']}")
            if o.reindex:
                self.results["reindex"] = self.reindex(main, main_built.settings)
        finally:
            main.stop()
            if echo is not None:
                echo.stop()
        if o.chart and self.results["growth"]:
            from bench.web.chart import growth_chart

            growth_chart(self.results["growth"], o.chart, f"CaseLink growth, {self.results['machine']['summary']}")
            self.say(f"chart: {o.chart}")
        out = o.out or o.workdir / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(self.results, ensure_ascii=False, indent=1), encoding="utf-8")
        self.results["out"] = str(out)
        self.say(report(self.results))
        self.say(f"results: {out}")
        return self.results

    def served(self, server: Gunicorn) -> dict:
        """Cold start, a short concurrency-8 load and the workers' memory of a just-started bot."""
        cold = self.cold_start(server)
        server.wait_ready()
        # Searches that never repeat: the result cache must not hide how search cost grows.
        fresh = make_queries(20_000, seed=13 + secrets.randbelow(1000))
        res = self.level("growth", server, GROWTH_CONCURRENCY, queries=fresh, duration=self.opts.growth_duration)
        memory = server.memory()
        self.say(f"  cold start {cold:.2f}s; workers {memory}")
        return {
            "cold_start_s": round(cold, 2),
            "webhook_p50": res["p50"],
            "webhook_p99": res["p99"],
            "webhook_rps": res["rps"],
            "webhook_errors": res["errors"],
            **{k: round(v, 1) for k, v in memory.items()},
        }

    def load_levels(self, bot: Gunicorn, echo: Gunicorn | None) -> None:
        o = self.opts
        runs: dict[str, dict[int, list[dict]]] = {"caselink": {}, "echo": {}}
        for rep in range(o.repeat):
            self.say(f"load, pass {rep + 1}/{o.repeat}")
            for c in o.levels:
                runs["caselink"].setdefault(c, []).append(self.level("caselink", bot, c))
                if echo is not None:
                    runs["echo"].setdefault(c, []).append(self.level("echo", echo, c, echo=ECHO_TEXT))
        if o.distinct:
            for rep in range(o.repeat):
                fresh = make_queries(20_000, seed=11 + rep)
                runs.setdefault("caselink-distinct", {}).setdefault(8, []).append(
                    self.level("distinct", bot, 8, queries=fresh)
                )
        self.results["runs"] = runs
        self.results["levels"] = summary(runs)

    def reindex(self, bot: Gunicorn, settings) -> dict:
        """Full rebuild through the CLI while concurrency-8 load runs."""
        self.say("reindex under load")
        marker = f"mk{secrets.token_hex(4)}"
        title = f"重建标记 {marker}"
        post = settings.content_dir / f"2026-01-01-{marker}.md"
        factory = self.factory(bot)
        before = self.ask(bot, factory, marker)
        generation_before = bot.healthz().get("index_generation")
        post.write_text(
            f"---\ntitle: {title}\ntags: [基准]\n---\n\n{marker} 这篇文章只在重建之后的新一代索引里。\n",
            encoding="utf-8",
        )
        try:
            busy = self.quiet()
            log = self.opts.workdir / "logs" / "rebuild.log"
            records, t0, t1, rc = asyncio.run(
                reindex_under_load(factory, bot, settings, log, REINDEX_CONCURRENCY, self.opts)
            )
        finally:
            post.unlink()
        result, _ = summarize("reindex", REINDEX_CONCURRENCY, records, KEYS, t0 - self.opts.reindex_lead)
        # "During" includes the second after the rebuild exits: the workers open the new generation then.
        during = [r.ms for r in records if t0 <= r.started <= t1 + min(1.0, self.opts.reindex_tail)]
        generations = {bot.healthz().get("index_generation") for _ in range(4 * (self.opts.workers or 4))}
        after = [self.ask(bot, factory, marker) for _ in range(8)]
        out = {
            **result.to_json(),
            "rebuild_exit": rc,
            "rebuild_s": round(t1 - t0, 1),
            "requests_during": len(during),
            "p50_during": percentile(during, 0.50),
            "p99_during": percentile(during, 0.99),
            "max_during": max(during, default=0.0),
            "generation_before": generation_before,
            "generations_after": sorted(g or "" for g in generations),
            "marker_found_before": title in before,
            "marker_found_after": sum(title in a for a in after),
            "marker_checks_after": len(after),
            "machine_busy_before": round(busy, 2),
        }
        self.say(
            f"  rebuild {out['rebuild_s']}s (exit {rc}); {out['requests']} requests, {out['errors']} errors; "
            f"during the rebuild p50 {out['p50_during']:.1f} ms, p99 {out['p99_during']:.1f} ms; "
            f"generation {generation_before} → {out['generations_after']}; marker found after "
            f"{out['marker_found_after']}/{len(after)} (before: {out['marker_found_before']})"
        )
        return out

    def ask(self, server: Gunicorn, factory: RequestFactory, query: str) -> str:
        """One search from a new user; the decrypted answer ('' if none)."""
        req = factory.request("search", query, factory.new_openid())
        status, body = post(server.port, req)
        return reply_text(Record(req, 0.0, 0.0, status, body), KEYS)


async def reindex_under_load(factory, bot, settings, log: Path, concurrency: int, opts: Options):
    """Drive load; after a lead run the rebuild CLI; stop a tail after it exits. Returns records and times."""
    stop = Stop(time.perf_counter() + opts.reindex_limit, 10**9)
    load = asyncio.ensure_future(drive(factory.endless(), concurrency, stop, client=opts.client))
    await asyncio.sleep(opts.reindex_lead)
    cmd = [sys.executable, "-m", "indexer", "rebuild", "--index", str(settings.index_dir)]
    cmd += ["--content", str(settings.content_dir), "--wait", "60"]
    env = {**os.environ, "SITE_URL": growth.SITE, "URLS_FILE": str(settings.urls_file), "LOG_LEVEL": "WARNING"}
    with open(log, "ab") as out:
        t0 = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(*cmd, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out)
        try:
            rc = await asyncio.wait_for(proc.wait(), timeout=max(1.0, stop.at - time.perf_counter()))
        except TimeoutError:
            proc.kill()
            rc = await proc.wait()
        t1 = time.perf_counter()
    stop.at = min(stop.at, t1 + opts.reindex_tail)
    return await load, t0, t1, rc


def post(port: int, req) -> tuple[int, bytes]:
    """One synchronous POST of a prepared request (cold start and spot checks)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        path = req.url.raw_path_qs
        conn.request("POST", path, body=req.body, headers={"Content-Type": "text/xml"})
        res = conn.getresponse()
        return res.status, res.read()
    finally:
        conn.close()


def compile_project() -> None:
    """Write the project's bytecode as the image does at build time (Dockerfile), so servers started
    here, where PYTHONDONTWRITEBYTECODE may be set, do not compile every module on each cold start."""
    for package in PACKAGES:
        compileall.compile_dir(PROJECT_ROOT / package, quiet=1)


def cpu_busy(interval: float = 1.0) -> float:
    """Share of all CPUs busy over ``interval`` seconds (from /proc/stat)."""

    def sample():
        with open("/proc/stat") as fh:
            parts = [int(x) for x in fh.readline().split()[1:]]
        return sum(parts), parts[3] + parts[4]

    try:
        total0, idle0 = sample()
        time.sleep(interval)
        total1, idle1 = sample()
    except OSError:
        return 0.0
    return 1.0 - (idle1 - idle0) / max(1, total1 - total0)


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count() or 1
    py = platform.python_version()
    return {
        "cores": cores,
        "python": py,
        "cpu": model,
        "platform": platform.platform(terse=True),
        "summary": f"{cores} cores, Python {py}",
    }


def options_json(o: Options) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in o.__dict__.items()}


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs) if runs else 0.0


def _median_cpu(runs: list[dict]) -> dict[str, float | None]:
    """Each part of the CPU split (``bench.web.cpu``): its median over the passes that measured it."""
    out: dict[str, float | None] = {}
    for part in ("server", "redis", "client", "total"):
        values = [r["cpu_ms"][part] for r in runs if r.get("cpu_ms") and r["cpu_ms"].get(part) is not None]
        out[part] = round(statistics.median(values), 3) if values else None
    return out


def cpu_line(cpu: dict[str, float | None]) -> str:
    """One level's CPU split as printed beside its figures."""
    redis = "?" if cpu.get("redis") is None else f"{cpu['redis']:.2f}"
    return f"CPU/req ms: server {cpu['server']:.2f}, Redis {redis}, client {cpu['client']:.2f}"


def summary(runs: dict[str, dict[int, list[dict]]]) -> list[dict]:
    """Per server and level: medians over the repeats (errors summed) and CaseLink/echo ratios."""
    rows = []
    for name, levels in runs.items():
        for c, rs in sorted(levels.items()):
            row = {"server": name, "concurrency": c, "passes": len(rs)}
            for key in ("rps", "p50", "p95", "p99", "client_cpu"):
                row[key] = round(_median(rs, key), 3 if key == "client_cpu" else 1)
            row["cpu_ms"] = _median_cpu(rs)
            row["errors"] = sum(r["errors"] for r in rs)
            row["requests"] = sum(r["requests"] for r in rs)
            echo = runs.get("echo", {}).get(c)
            if name != "echo" and echo:
                row["rps_ratio"] = round(row["rps"] / max(_median(echo, "rps"), 1e-9), 2)
                row["p50_ratio"] = round(row["p50"] / max(_median(echo, "p50"), 1e-9), 2)
                row["p99_ratio"] = round(row["p99"] / max(_median(echo, "p99"), 1e-9), 2)
                echo_cpu = _median_cpu(echo).get("total")
                if row["cpu_ms"].get("total") and echo_cpu:
                    row["cpu_ratio"] = round(row["cpu_ms"]["total"] / echo_cpu, 2)
            rows.append(row)
    return rows


def combine(results: list[dict]) -> dict:
    """Several runs' results as one: every pass of every run per level (medians), growth medians per
    corpus size, and the single-shot figures (update, memory, reindex) of each run."""
    from bench.web.chart import merge_growth

    runs: dict[str, dict[int, list[dict]]] = {}
    for result in results:
        for name, levels in (result.get("runs") or {}).items():
            for c, passes in levels.items():
                runs.setdefault(name, {}).setdefault(int(c), []).extend(passes)
    return {
        "machine": results[0]["machine"],
        "started": " / ".join(r["started"] for r in results),
        "runs": runs,
        "levels": summary(runs),
        "growth": merge_growth(results),
        "updates": [r["update"] for r in results if r.get("update")],
        "memories": [r["memory_after_load"] for r in results if r.get("memory_after_load")],
        "reindexes": [r["reindex"] for r in results if r.get("reindex")],
    }


def report(results: dict) -> str:
    """The figures as Markdown tables (what BENCHMARKS.md shows); ``results`` of one run or combined."""
    lines = [f"\n## Results ({results['machine']['summary']}, {results['started']})", ""]
    lines += [
        "| server | c | req/s | p50 ms | p95 ms | p99 ms | errors | req/s ÷ echo | p50 ÷ echo | p99 ÷ echo |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results.get("levels", []):
        lines.append(
            f"| {r['server']} | {r['concurrency']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
            f"{r['p99']:.1f} | {r['errors']} | {r.get('rps_ratio', '')} | {r.get('p50_ratio', '')} | "
            f"{r.get('p99_ratio', '')} |"
        )
    split = [r for r in results.get("levels", []) if (r.get("cpu_ms") or {}).get("total")]
    if split:
        lines += [
            "",
            "CPU per request sent (ms, medians of the passes; servers, Redis and the load client share the machine):",
            "",
            "| server | c | server | Redis | load client | total | total ÷ echo |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in split:
            cpu = r["cpu_ms"]
            redis = "–" if cpu.get("redis") is None else f"{cpu['redis']:.2f}"
            lines.append(
                f"| {r['server']} | {r['concurrency']} | {cpu['server']:.2f} | {redis} | {cpu['client']:.2f} | "
                f"{cpu['total']:.2f} | {r.get('cpu_ratio', '')} |"
            )
    lines += [
        "",
        "| docs | build s | docs/s | index MB | search p50 / p99 ms | webhook p50 / p99 ms (c=8) "
        "| worker RSS / PSS / USS MB | service PSS MB | cold start s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for g in results.get("growth", []):
        lines.append(
            f"| {g['docs']:,} | {g['build_s']:.1f} | {g['docs_per_s']:.0f} | {g['index_mb']:.0f} | "
            f"{g['search_p50']:.1f} / {g['search_p99']:.1f} | {g.get('webhook_p50', 0):.1f} / "
            f"{g.get('webhook_p99', 0):.1f} | {g.get('worker_rss_mb', 0):.0f} / {g.get('worker_pss_mb', 0):.0f} / "
            f"{g.get('worker_uss_mb', 0):.0f} | {g.get('service_pss_mb', 0):.0f} | {g.get('cold_start_s', 0):.2f} |"
        )
    updates = results.get("updates") or [results[k] for k in ("update",) if results.get(k)]
    if updates:
        lines.append("")
    for u in updates:
        finished = f"; update finished after {u['finished']:.2f} s" if "finished" in u else ""
        lines.append(
            f"Incremental update of one changed document: searches see it after {u['seconds']:.2f} s{finished}"
        )
    memories = results.get("memories") or [results[k] for k in ("memory_after_load",) if results.get(k)]
    for m in memories:
        lines.append(
            f"Workers after the load levels: RSS {m['worker_rss_mb']:.0f} MB (mapped index "
            f"{m.get('worker_rss_file_mb', 0):.0f}), PSS {m['worker_pss_mb']:.0f} MB, "
            f"USS {m.get('worker_uss_mb', 0):.0f} MB (largest worker; smallest PSS "
            f"{m.get('worker_pss_min_mb', 0):.0f} MB); the whole service ({m.get('workers', 0):.0f} workers and "
            f"the master): PSS {m.get('service_pss_mb', 0):.0f} MB, USS {m.get('service_uss_mb', 0):.0f} MB"
        )
    for r in results.get("reindexes") or [results[k] for k in ("reindex",) if results.get(k)]:
        lines.append(
            f"Reindex under load (c={r['concurrency']}): rebuild {r['rebuild_s']} s, {r['requests']} requests, "
            f"{r['errors']} errors, p99 during the rebuild {r['p99_during']:.1f} ms (max {r['max_during']:.1f}); "
            f"generation {r['generation_before']} → {', '.join(r['generations_after'])}; marker document found "
            f"after the switch {r['marker_found_after']}/{r['marker_checks_after']} "
            f"(before: {r['marker_found_before']})"
        )
    return "\n".join(lines)


def run(opts: Options, say: Callable[[str], None] = print, redis_url: str | None = None) -> dict:
    """Run the benchmark; a private redis-server unless ``redis_url`` or REDIS_URL is given."""
    main = threading.current_thread() is threading.main_thread()
    # `kill` stops the servers too: SIGTERM unwinds through the finally blocks.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143)) if main else None
    redis = None
    try:
        url = redis_url or os.environ.get("REDIS_URL", "")
        if not url:
            redis = RedisServer(opts.workdir / "redis")
            url = redis.url
        pid = redis.proc.pid if redis is not None else local_redis_pid(url)
        return Bench(opts, say, url, pid).run()
    finally:
        if redis is not None:
            redis.stop()
        if main:
            signal.signal(signal.SIGTERM, previous)


__all__ = ["LevelResult", "Options", "run"]
