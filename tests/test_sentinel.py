"""Redis Sentinel on loopback: a master, a replica and three sentinels. The master is killed while
messages keep coming; answers continue, Sentinel promotes the replica, and no invite or role the
bot said was done is missing afterwards (durable writes waited for the replica: WAIT 1)."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot import texts
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, free_port, make_bot_settings, new_openid
from tests.wechat_client import WeChatServer

MASTER = "caselink-test"
SENTINEL_CONF = """port {port}
bind 127.0.0.1
dir {dir}
sentinel monitor {name} 127.0.0.1 {master} 2
sentinel down-after-milliseconds {name} 1000
sentinel failover-timeout {name} 5000
sentinel parallel-syncs {name} 1
"""


def client(port: int) -> redis.Redis:
    return redis.Redis(port=port, socket_connect_timeout=0.3, socket_timeout=2, retry=Retry(NoBackoff(), 0))


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except redis.RedisError:
            found = None
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Cluster:
    """redis-server processes on loopback: a master, a replica, three sentinels."""

    def __init__(self, root: Path):
        self.root = root
        self.binary = shutil.which("redis-server") or pytest.skip("redis-server is not installed")
        self.master, self.replica = free_port(), free_port()
        self.sentinels = [free_port() for _ in range(3)]
        self.procs: dict[int, subprocess.Popen] = {}

    def server(self, port: int, *args: str) -> None:
        folder = self.root / str(port)
        folder.mkdir(exist_ok=True)
        self.procs[port] = subprocess.Popen(
            [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: client(port).ping(), 10, f"redis-server on {port}")

    def sentinel(self, port: int) -> None:
        folder = self.root / f"s{port}"
        folder.mkdir()
        conf = folder / "sentinel.conf"
        conf.write_text(SENTINEL_CONF.format(port=port, dir=folder, name=MASTER, master=self.master))
        self.procs[port] = subprocess.Popen(
            [self.binary, str(conf), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def start(self) -> None:
        self.server(self.master)
        self.server(self.replica, "--replicaof", "127.0.0.1", str(self.master))
        synced = lambda: client(self.replica).info("replication")["master_link_status"] == "up"  # noqa: E731
        wait_until(synced, 10, "the replica to sync")
        for port in self.sentinels:
            self.sentinel(port)
        for port in self.sentinels:  # each knows the replica and the two other sentinels: ready to fail over
            wait_until(lambda p=port: len(client(p).sentinel_sentinels(MASTER)) == 2, 20, "sentinels to meet")
            wait_until(lambda p=port: len(client(p).sentinel_slaves(MASTER)) == 1, 20, "sentinels to see the replica")

    def all_agree_on(self, port: int) -> bool:
        """Every sentinel names ``port`` as the master. Until they all do, an old master coming back can
        meet a sentinel that still thinks it leads and start a second failover to that empty server."""
        return all(int(client(p).sentinel_get_master_addr_by_name(MASTER)[1]) == port for p in self.sentinels)

    def patient(self) -> None:
        """One failover is what the test is about: on a loaded machine a sentinel that misses a second of
        answers from the new master would start another, back to the old master still filling up."""
        for port in self.sentinels:
            client(port).sentinel_set(MASTER, "down-after-milliseconds", 60_000)

    def describe(self) -> str:
        """Who each server and sentinel thinks leads: for a failure message."""
        lines = []
        for port in (self.master, self.replica):
            try:
                info = client(port).info("replication")
                lines.append(f"{port}: {info.get('role')} of {info.get('master_port', '-')}")
            except redis.RedisError as exc:
                lines.append(f"{port}: {exc}")
        for port in self.sentinels:
            try:
                lines.append(f"sentinel {port}: master {client(port).sentinel_get_master_addr_by_name(MASTER)}")
            except redis.RedisError as exc:
                lines.append(f"sentinel {port}: {exc}")
        return "; ".join(lines)

    def kill(self, port: int) -> None:
        self.procs[port].kill()
        self.procs[port].wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            proc.wait(10)


@dataclass
class Load:
    """What the bot answered while the test ran, and which durable writes it said were done."""

    answers: list[tuple[float, int, str]] = field(default_factory=list)
    invites: list[tuple[float, str]] = field(default_factory=list)  # (when, code) the admin was given
    bound: list[tuple[float, str]] = field(default_factory=list)  # (when, openid) told 绑定成功
    tried: set[str] = field(default_factory=set)  # codes sent with 绑定, whatever the answer
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, app) -> None:
        wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
        while not self.stop.is_set():
            made = wx.text(ADMIN, "邀请")
            self.answers.append((time.monotonic(), made.status, made.text))
            if made.text.startswith("新的员工邀请码："):
                self.invites.append((time.monotonic(), re.search(r"邀请码：(\w+)", made.text).group(1)))
            if len(self.invites) % 2 == 0 and self.invites:  # use every other code, keep the rest waiting
                person, code = new_openid("employee"), self.invites[-1][1]
                self.tried.add(code)
                reply = wx.text(person, f"绑定 {code}")
                self.answers.append((time.monotonic(), reply.status, reply.text))
                if reply.text == texts.BIND_OK.format(role="员工"):
                    self.bound.append((time.monotonic(), person))
            found = wx.text(new_openid("client"), "私域流量")
            self.answers.append((time.monotonic(), found.status, found.text))
            time.sleep(0.02)


def test_a_master_killed_under_load_fails_over_without_losing_acknowledged_writes(tmp_path, sample_settings):
    from bot import create_app

    cluster = Cluster(tmp_path)
    load = Load()
    app = None
    try:
        cluster.start()
        sentinels = ",".join(f"127.0.0.1:{p}" for p in cluster.sentinels)
        settings = make_bot_settings(
            tmp_path, "", sample_settings.index_dir, REDIS_SENTINELS=sentinels, REDIS_SENTINEL_MASTER=MASTER
        )
        assert settings.redis_wait_replicas == 1  # with Sentinel, durable writes wait for a replica
        app = create_app(settings)
        worker = threading.Thread(target=load.run, args=(app,), daemon=True)
        worker.start()
        wait_until(lambda: len(load.bound) >= 3, 15, "writes before the kill")

        killed_at = time.monotonic()
        cluster.kill(cluster.master)
        wait_until(lambda: cluster.all_agree_on(cluster.replica), 30, "Sentinel to promote the replica")
        cluster.patient()
        promoted_at = time.monotonic()
        wait_until(
            lambda: any(t > promoted_at and "找到" in a for t, _, a in load.answers), 15, "answers on the new master"
        )
        # The old master comes back as a replica of the new one; durable writes are confirmed again.
        cluster.server(cluster.master, "--replicaof", "127.0.0.1", str(cluster.replica))
        wait_until(lambda: any(t > promoted_at for t, _ in load.invites), 20, "an invite acknowledged after failover")
        assert cluster.all_agree_on(cluster.replica), cluster.describe()  # no second failover meanwhile
    finally:
        load.stop.set()
        if app is not None:
            worker.join(20)
            app.extensions["caselink"].close()
        new_master = client(cluster.replica)
        try:
            state = {
                "invites": {code: new_master.exists(f"caselink:invite:{code}") for _, code in load.invites},
                "roles": {who: new_master.get(f"caselink:role:{who}") for _, who in load.bound},
            }
        except redis.RedisError:
            state = None
        topology = cluster.describe()
        cluster.stop()

    assert state is not None
    assert all(status == 200 and text for _, status, text in load.answers)  # every message was answered
    # searches went on while there was no master at all
    assert any(killed_at < t < promoted_at and a.startswith("找到 ") for t, _, a in load.answers)
    assert len([code for t, code in load.invites if t < killed_at]) >= 3
    waiting = {code for _, code in load.invites} - load.tried
    missing = [code for code in waiting if not state["invites"][code]]
    assert not missing, f"acknowledged invites lost in the failover: {missing} ({topology})"
    lost = [who for who, role in state["roles"].items() if role != b"employee"]
    assert not lost, f"acknowledged roles lost in the failover: {lost}"


def once_confirmed(send) -> str:
    """The reply to a durable write while the replica is up. On a loaded machine the replica can miss a
    300 ms WAIT: the bot then says "unavailable" (as it should) and the write is tried again."""
    deadline = time.monotonic() + 15
    while True:
        reply = send()
        if reply not in (texts.INVITE_UNAVAILABLE, texts.BIND_UNAVAILABLE) or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)


def test_without_a_replica_to_confirm_durable_writes_are_not_acknowledged(tmp_path, sample_settings):
    from bot import create_app

    cluster = Cluster(tmp_path)
    app = None
    try:
        cluster.server(cluster.master)
        cluster.server(cluster.replica, "--replicaof", "127.0.0.1", str(cluster.master))
        synced = lambda: client(cluster.replica).info("replication")["master_link_status"] == "up"  # noqa: E731
        wait_until(synced, 10, "the replica to sync")
        settings = make_bot_settings(
            tmp_path,
            f"redis://127.0.0.1:{cluster.master}/0",
            sample_settings.index_dir,
            REDIS_WAIT_REPLICAS="1",
            REDIS_WAIT_TIMEOUT_MS="300",
        )
        app = create_app(settings)
        wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
        code = re.search(r"邀请码：(\w+)", once_confirmed(lambda: wx.text(ADMIN, "邀请").text)).group(1)
        assert client(cluster.replica).exists(f"caselink:invite:{code}")  # confirmed: the replica has it

        cluster.kill(cluster.replica)  # the master alone could lose what it acknowledges
        assert wx.text(ADMIN, "邀请").text == texts.INVITE_UNAVAILABLE
        assert wx.text(new_openid(), f"绑定 {code}").text == texts.BIND_UNAVAILABLE
        assert wx.text(new_openid(), "私域流量").text.startswith("找到 ")  # searches do not wait

        cluster.server(cluster.replica, "--replicaof", "127.0.0.1", str(cluster.master))
        wait_until(synced, 10, "the replica to sync again")
        time.sleep(1.1)  # the store tries Redis again a second after the last failure
        assert once_confirmed(lambda: wx.text(ADMIN, "邀请").text).startswith("新的员工邀请码：")
        bound = once_confirmed(lambda: wx.text(new_openid(), f"绑定 {code}").text)
        assert bound == texts.BIND_OK.format(role="员工")  # not used up
    finally:
        if app is not None:
            app.extensions["caselink"].close()
        cluster.stop()
