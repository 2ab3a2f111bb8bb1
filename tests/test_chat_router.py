"""The router's order through the real webhook: an open flow sees text first and may let it through."""

from __future__ import annotations

import pytest

from bot import texts
from bot.chat import router
from bot.chat.replies import Text
from tests.bot_fixtures import new_openid


@pytest.fixture
def echo_flow():
    """A flow that answers "收到：…" once and ends itself, but lets "帮助" through to the usual handling."""

    def step(ctx, text, data):
        if text == "帮助":
            return None
        ctx.store.flows.end(ctx.openid)
        return Text(f"收到（第 {data['n']} 步）：{text}")

    router.flow("test-echo")(step)
    yield
    del router.FLOWS["test-echo"]


def test_an_open_flow_answers_before_commands_and_search(wechat, bot_app, echo_flow):
    user = new_openid()
    bot_app.extensions["caselink"].store.flows.start(user, "test-echo", {"n": 1})
    assert wechat.text(user, "最新").text == "收到（第 1 步）：最新"
    assert wechat.text(user, "最新").text.startswith("最新内容")  # the flow ended itself


def test_a_flow_lets_text_through_and_stays_open(wechat, bot_app, echo_flow):
    user = new_openid()
    store = bot_app.extensions["caselink"].store
    store.flows.start(user, "test-echo", {"n": 2})
    assert wechat.text(user, "帮助").text == texts.HELP
    assert store.flows.get(user) == {"name": "test-echo", "data": {"n": 2}}


def test_an_unknown_flow_is_forgotten(wechat, bot_app):
    user = new_openid()
    store = bot_app.extensions["caselink"].store
    store.flows.start(user, "gone-in-this-version", {})
    assert wechat.text(user, "帮助").text == texts.HELP
    assert store.flows.get(user) is None


def test_admin_commands_are_searched_for_everyone_else(wechat):
    reply = wechat.text(new_openid(), "重建索引").text
    assert reply not in (texts.REINDEX_STARTED, texts.REINDEX_RUNNING)


def test_the_readme_lists_every_chat_command():
    from config.settings import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    section = readme.split("### 对机器人说什么", 1)[1].split("\n## ", 1)[0]
    missing = sorted(word for word in router.COMMANDS if f"`{word}" not in section)
    assert not missing, f"commands missing from README's 对机器人说什么: {missing}"
