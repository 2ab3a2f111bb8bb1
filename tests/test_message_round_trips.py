"""An ordinary message costs two Redis round trips: one that claims it and reads everything handling it
needs (one server-side script), one that writes its state together with its reply (MULTI/EXEC).

The round trips are counted by Redis itself (MONITOR on a database of their own), not by our code.
Also: what a message's unit reads and holds back, and the reply budget's watchdog.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis

from bot import texts
from bot.chat.replies import Text, to_dict
from bot.deadline import MovedToBackground, Watchdog, checkpoint, slow_ahead
from bot.store import Store, Unit
from bot.store.connection import GET
from tests.bot_fixtures import AES_KEY, APPID, TOKEN, make_bot_settings, new_openid, prefixed_store
from tests.conftest import suite_db
from tests.wechat_client import WeChatServer

DB = 11  # MONITOR shows the database: this module's Redis traffic is told apart by it


@pytest.fixture
def own_db(redis_url) -> str:
    url = suite_db(redis_url, DB)
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def bot(tmp_path, own_db, sample_settings):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, own_db, sample_settings.index_dir))
    yield WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    app.extensions["caselink"].close()


class RoundTrips:
    """Requests that reached Redis in database ``DB``; a MULTI … EXEC block is one (one pipeline)."""

    def __init__(self, url: str):
        self._client = redis.Redis.from_url(url)
        self._monitor = self._client.monitor()
        self._conn = self._monitor.__enter__()
        self.commands: list[str] = []

    def count(self, action) -> int:
        """Run ``action`` and count its round trips."""
        self._read_until(self._mark())  # what came before the action
        action()
        marker = self._mark()  # everything the action sent comes before this in the monitor
        trips, in_multi, self.commands = 0, False, []
        while True:
            seen = self._conn.next_command()
            if marker in seen["command"]:
                return trips
            if seen["db"] != DB or seen["client_type"] == "lua":  # commands a script ran are inside its trip
                continue
            name = seen["command"].split(" ", 1)[0].upper()
            self.commands.append(seen["command"][:80])
            if name == "MULTI":
                in_multi = True
                trips += 1
            elif name == "EXEC":
                in_multi = False
            elif not in_multi:
                trips += 1

    def _mark(self) -> str:
        marker = f"marker-{uuid.uuid4().hex}"
        self._client.echo(marker)
        return marker

    def _read_until(self, marker: str) -> None:
        while marker not in self._conn.next_command()["command"]:
            pass

    def close(self) -> None:
        self._monitor.__exit__(None, None, None)


@pytest.fixture
def round_trips(own_db):
    counter = RoundTrips(own_db)
    yield counter
    counter.close()


def test_a_search_its_pages_a_pick_and_help_take_two_round_trips_each(bot, round_trips):
    user = new_openid("trips")
    bot.text(new_openid("warm"), "私域流量")  # the front desk is seeded, the day's analytics rolled up
    replies = {}
    for text in ["私域流量", "更多", "2", "帮助", "品牌 案例"]:
        trips = round_trips.count(lambda t=text: replies.__setitem__(t, bot.text(user, t, "safe")))
        assert trips == 2, (text, round_trips.commands)
    assert replies["帮助"].text == texts.HELP
    assert replies["2"].article["Title"]
    assert "私域" in replies["私域流量"].text


def test_the_reply_and_the_conversation_are_written_together(bot, own_db, round_trips):
    user = new_openid("together")
    round_trips.count(lambda: bot.text(user, "私域流量"))
    after_multi = round_trips.commands[round_trips.commands.index("MULTI") + 1 :]
    assert any(f"session:{user}" in c for c in after_multi)
    assert any(":msg:" in c for c in after_multi)
    assert redis.Redis.from_url(own_db).get(f"caselink:session:{user}")


def test_a_retry_reads_nothing_and_takes_no_held_answer(bot, own_db):
    user = new_openid("retry")
    store = Store(redis.Redis.from_url(own_db))
    store.messages.push_pending(user, to_dict(Text("早先的答案")))
    xml = bot.text_xml(user, "帮助")
    first = bot.post_xml(xml, "safe")
    assert first.text.startswith("早先的答案") and first.text.endswith(texts.HELP)
    store.messages.push_pending(user, to_dict(Text("又一个答案")))
    again = bot.post_xml(xml, "safe")  # WeChat's retry: the identical reply, and the new answer stays held
    assert again.body == first.body
    assert store.role_and_pending(user)[1] == [to_dict(Text("又一个答案"))]


# -- a message's unit of work -----------------------------------------------------------------------------


@pytest.fixture
def store(redis_url):
    with prefixed_store(redis_url, "unit") as made:
        yield made


def test_a_unit_answers_from_what_was_read_and_holds_writes_until_flushed(store):
    st, client, prefix = store
    client.set(prefix + "session:u", b'{"q": "old"}')
    read = {prefix + "session:u": b'{"q": "read at the claim"}', prefix + "flow:u": None, prefix + "misses:u": None}
    unit = Unit(read)
    with st.db.using(unit):
        assert st.sessions.get("u") == {"q": "read at the claim"}  # the snapshot, not Redis
        assert st.flows.get("u") is None
        st.sessions.save("u", {"q": "new"})
        st.misses.clear("u")  # read as missing: nothing to delete
        assert st.misses.add("u") == 1
        assert st.sessions.get("u") == {"q": "new"}  # the message sees its own writes
        assert client.get(prefix + "session:u") == b'{"q": "old"}'  # Redis does not, yet
        assert st.people.role("u") is None  # not in the snapshot: read through
    assert len(unit.writes) == 2
    assert st.db.flush(unit)
    assert client.get(prefix + "session:u") == b'{"q": "new"}'
    assert client.get(prefix + "misses:u") == b"1" and client.ttl(prefix + "misses:u") > 0
    assert unit.writes == []


def test_a_restarted_unit_forgets_the_first_attempt(store):
    st, client, prefix = store
    pending = prefix + "pending:u"
    unit = Unit({prefix + "role:u": b"employee", pending: [b'{"type": "text", "content": "held"}']})
    with st.db.using(unit):
        assert st.role_and_pending("u") == ("employee", [{"type": "text", "content": "held"}])
        assert st.role_and_pending("u") == ("employee", [])  # taken once
        st.sessions.save("u", {"q": "first attempt"})
    unit.restart()
    with st.db.using(unit):
        assert st.role_and_pending("u") == ("employee", [{"type": "text", "content": "held"}])
        assert st.sessions.get("u") is None
    st.db.flush(unit)
    assert client.get(prefix + "session:u") is None


def test_the_claim_reads_only_for_a_new_message(store):
    st, client, prefix = store
    client.set(prefix + "role:u", "employee")
    client.rpush(prefix + "pending:u", "x")
    reads = st.message_reads("u", take_pending=True)
    assert st.messages.claim("1700000000", "n1", "fp", "m1", 600, reads) == "new"
    read = st.messages.read_for_claim()
    assert read[prefix + "role:u"] == b"employee" and read[prefix + "pending:u"] == [b"x"]
    assert client.llen(prefix + "pending:u") == 0  # taken in the same step as the claim
    client.rpush(prefix + "pending:u", "y")
    assert st.messages.claim("1700000001", "n2", "fp2", "m1", 600, reads) == "retry"
    assert st.messages.read_for_claim() is None
    assert client.llen(prefix + "pending:u") == 1  # a retry takes nothing
    assert st.messages.claim("1700000000", "n1", "other", "m2", 600, reads) == "replay"
    assert client.get(prefix + "msg:m2") is None  # the replay gave its claim back
    assert st.db.read([(GET, prefix + "role:u")]) == [b"employee"]


# -- the reply budget ---------------------------------------------------------------------------------------


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_the_watchdog_ends_a_budget_that_runs_out_and_checkpoints_see_it():
    watchdog, told = Watchdog(tick=0.01), threading.Event()
    with watchdog.watch(0.02, told.set) as budget:
        checkpoint()  # not yet
        wait_until(told.is_set)
        assert budget.expired
        with pytest.raises(MovedToBackground):
            checkpoint()
    assert not watchdog.finish(budget)


def test_a_budget_that_ends_in_time_is_not_ended_later():
    watchdog, told = Watchdog(tick=0.01), threading.Event()
    with watchdog.watch(0.05, told.set) as budget:
        pass
    assert watchdog.finish(budget)
    time.sleep(0.2)
    assert not told.is_set() and not budget.expired


def test_slow_work_moves_only_from_a_request_thread():
    slow_ahead()  # no budget: already in the background
    with Watchdog().watch(4.0), pytest.raises(MovedToBackground):
        slow_ahead()
