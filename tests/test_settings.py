"""Settings: validated once, secrets without working defaults outside dev mode, all documented."""

from __future__ import annotations

import re

import pytest

from config.errors import ConfigError
from config.settings import PROJECT_ROOT, SETTINGS_DOC, load_settings


def test_every_setting_is_documented_in_the_env_example_and_readme():
    example = (PROJECT_ROOT / "config" / ".env.example").read_text(encoding="utf-8")
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for name in SETTINGS_DOC:
        assert re.search(rf"^{name}=", example, re.M), name
        assert f"`{name}`" in readme, name


def test_code_reads_no_undeclared_environment_variable():
    declared = set(SETTINGS_DOC) | {"REDIS_URL", "CI"}
    pattern = re.compile(r"""(?:environ(?:\.get)?\(|environ\[|getenv\()\s*["']([A-Z_]+)["']""")
    for path in [
        *PROJECT_ROOT.glob("bot/**/*.py"),
        *PROJECT_ROOT.glob("indexer/**/*.py"),
        *PROJECT_ROOT.glob("config/*.py"),
    ]:
        for name in pattern.findall(path.read_text(encoding="utf-8")):
            assert name in declared, f"{path.name} reads undeclared {name}"


def test_secrets_have_no_working_defaults_outside_dev_mode():
    settings = load_settings({})
    assert settings.wechat_token == "" and settings.admin_token == "" and settings.secret_key == ""
    with pytest.raises(ConfigError) as info:
        settings.require_bot_secrets()
    assert "WECHAT_TOKEN" in str(info.value)


def test_placeholder_secrets_are_refused():
    settings = load_settings({"WECHAT_TOKEN": "change-me", "ADMIN_TOKEN": "x" * 20, "SECRET_KEY": "y" * 20})
    with pytest.raises(ConfigError):
        settings.require_bot_secrets()


def test_dev_mode_fills_in_development_secrets():
    settings = load_settings({"CASELINK_DEV": "1"})
    settings.require_bot_secrets()
    assert settings.dev and settings.wechat_aes_key and settings.wechat_appid


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"WECHAT_AES_KEY": "short"}, "43"),
        ({"WECHAT_AES_KEY": "a" * 43}, "WECHAT_APPID"),
        ({"REPLY_DEADLINE": "soon"}, "REPLY_DEADLINE"),
        ({"REPLY_DEADLINE": "9"}, "范围"),
        ({"SITE_URL": "actionthinker.github.io"}, "SITE_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"CASELINK_DEV": "maybe"}, "CASELINK_DEV"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_bad_settings_stop_with_one_clear_line(env, fragment):
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    message = str(info.value)
    assert fragment in message and "\n" not in message


def test_repr_and_redacted_view_never_show_secrets():
    settings = load_settings({"CASELINK_DEV": "1", "WECHAT_SECRET": "topsecretvalue123"})
    assert "topsecretvalue123" not in repr(settings)
    assert "topsecretvalue123" not in str(settings.redacted())


@pytest.mark.parametrize(("env", "fragment"), [({"REPLY_DEADLINE": "soon"}, "REPLY_DEADLINE"), ({}, "WECHAT_TOKEN")])
def test_gunicorn_refuses_bad_settings_with_one_line(env, fragment, tmp_path):
    import shutil
    import subprocess

    binary = shutil.which("gunicorn", path=str(PROJECT_ROOT / ".venv" / "bin")) or shutil.which("gunicorn")
    if not binary:
        pytest.skip("gunicorn is not installed")
    base = {"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "CASELINK_BIND": "127.0.0.1:0"}
    proc = subprocess.run(
        [binary, "-c", "gunicorn.conf.py"],
        cwd=PROJECT_ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in proc.stderr


def test_message_mode_follows_the_aes_key_unless_set():
    assert load_settings({}).wechat_message_mode == "plain"
    assert load_settings({"WECHAT_AES_KEY": "a" * 43, "WECHAT_APPID": "wx1"}).wechat_message_mode == "safe"
    assert load_settings({"CASELINK_DEV": "1"}).wechat_message_mode == "safe"  # dev mode has a key
    env = {"CASELINK_DEV": "1", "WECHAT_MESSAGE_MODE": "Compat"}
    assert load_settings(env).wechat_message_mode == "compat"
    assert load_settings({"CASELINK_DEV": "1", "WECHAT_MESSAGE_MODE": "plain"}).wechat_message_mode == "plain"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"WECHAT_MESSAGE_MODE": "secure"}, "WECHAT_MESSAGE_MODE"),
        ({"WECHAT_MESSAGE_MODE": "safe"}, "WECHAT_AES_KEY"),
        ({"WECHAT_MESSAGE_MODE": "compat"}, "WECHAT_AES_KEY"),
        ({"WECHAT_ACCOUNT_ID": "wx123"}, "WECHAT_ACCOUNT_ID"),
    ],
)
def test_bad_protocol_settings_stop_with_one_clear_line(env, fragment):
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    assert fragment in str(info.value) and "\n" not in str(info.value)
