"""The custom menu in ``config/menu.yaml``: click keys → commands, and the layout pushed to WeChat.

Official doc 自定义菜单 / 创建接口 (``menu/create``): 1–3 buttons, each with 1–5 sub-buttons; a
name is at most 16 bytes (a sub-button's at most 60); a click button needs ``key`` (≤ 128 bytes),
a view button ``url`` (≤ 1024 bytes). ``menu/get`` returns the live menu.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from config import yaml_text
from config.errors import ConfigError

MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024
TYPES = {"click": "点击", "view": "链接"}


def _read(path: Path) -> dict:
    try:
        data = yaml_text.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} 不是有效的 YAML：{exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} 的顶层应当是 commands: 和 button:")
    return data


def load_menu(path: Path) -> dict[str, str]:
    """Read ``commands: {EVENT_KEY: 命令}``; a missing file means no menu; a bad one stops start-up."""
    try:
        stamp = path.stat()
    except FileNotFoundError:
        return {}
    return dict(_commands(str(path), stamp.st_mtime_ns, stamp.st_size))


@functools.lru_cache(maxsize=8)
def _commands(path: str, mtime_ns: int, size: int) -> tuple[tuple[str, str], ...]:
    # Parsed once per version of the file: every app a process makes (gunicorn's workers, tests) reads it.
    commands = _read(Path(path)).get("commands")
    if not isinstance(commands, dict) or not all(isinstance(v, str) and v.strip() for v in commands.values()):
        raise ConfigError(f"{path} 需要 commands: 下面是「菜单 key: 命令文字」")
    return tuple((str(key), value.strip()) for key, value in commands.items())


def load_layout(path: Path) -> dict[str, Any]:
    """The ``button:`` part of menu.yaml, as the body of ``menu/create`` (not yet validated)."""
    if not path.exists():
        raise ConfigError(f"找不到菜单文件 {path}")
    return {"button": _read(path).get("button")}


def validate_layout(layout: dict[str, Any], commands: dict[str, str]) -> list[str]:
    """Every problem with ``layout``, as ``path: 说明`` lines (indexes count from 0); empty when valid."""
    errors: list[str] = []
    for path, button in _items("button", layout.get("button"), MAX_BUTTONS, "一级", errors):
        errors += _check_name(path, button, NAME_BYTES)
        if "sub_button" not in button:
            errors += _check_action(path, button, commands)
            continue
        if button.get("type") or button.get("key") or button.get("url"):
            errors.append(f"{path}: 有 sub_button 的菜单不能再有 type/key/url")
        for sub_path, sub in _items(f"{path}.sub_button", button["sub_button"], MAX_SUB_BUTTONS, "二级", errors):
            if "sub_button" in sub:
                errors.append(f"{sub_path}.sub_button: 二级菜单下不能再有菜单")
            errors += _check_name(sub_path, sub, SUB_NAME_BYTES)
            errors += _check_action(sub_path, sub, commands)
    return errors


def _items(path: str, items: Any, most: int, level: str, errors: list[str]) -> Iterator[tuple[str, dict]]:
    # Both menu levels are lists with a size limit; what is wrong with the list or an entry goes to
    # ``errors`` as it is met, so problems are listed in the order of the file.
    if not isinstance(items, list) or not items:
        errors.append(f"{path}: 至少需要 1 个{level}菜单")
        return
    if len(items) > most:
        errors.append(f"{path}: 最多 {most} 个{level}菜单，现在有 {len(items)} 个")
    for i, item in enumerate(items):
        if isinstance(item, dict):
            yield f"{path}[{i}]", item
        else:
            errors.append(f"{path}[{i}]: 应当是一个菜单项（name、type、key 或 url）")


def _check_name(path: str, button: dict, limit: int) -> list[str]:
    name = button.get("name")
    if not isinstance(name, str) or not name.strip():
        return [f"{path}.name: 缺少菜单名"]
    size = len(name.encode("utf-8"))
    return [f"{path}.name: 超过 {limit} 字节（「{name}」有 {size} 字节）"] if size > limit else []


def _check_action(path: str, button: dict, commands: dict[str, str]) -> list[str]:
    kind = button.get("type")
    if kind not in TYPES:
        return [f"{path}.type: 应为 click 或 view（现在是 {kind!r}）；其他类型请在公众号后台配置"]
    if kind == "click":
        key = button.get("key")
        if not isinstance(key, str) or not key:
            return [f"{path}.key: click 菜单必须有 key"]
        if len(key.encode("utf-8")) > KEY_BYTES:
            return [f"{path}.key: 超过 {KEY_BYTES} 字节"]
        if key not in commands:
            known = "、".join(commands) or "（commands 为空）"
            return [f"{path}.key: {key} 不是 commands 里的 key（可用：{known}）"]
        return []
    url = button.get("url")
    if not isinstance(url, str) or not url:
        return [f"{path}.url: view 菜单必须有 url"]
    if not url.startswith(("http://", "https://")):
        return [f"{path}.url: 应以 http:// 或 https:// 开头"]
    if len(url.encode("utf-8")) > URL_BYTES:
        return [f"{path}.url: 超过 {URL_BYTES} 字节"]
    return []


def describe(live: dict[str, Any] | None, commands: dict[str, str]) -> str:
    """The live menu (``menu/get``'s answer) as indented lines a person can read."""
    buttons = ((live or {}).get("menu") or {}).get("button") or []
    if not buttons:
        return "公众号当前没有自定义菜单。"
    lines = ["公众号当前的自定义菜单："]
    for i, button in enumerate(buttons, 1):
        subs = button.get("sub_button") or []
        if isinstance(subs, dict):  # menu/get wraps sub-buttons as {"list": [...]} in some answers
            subs = subs.get("list") or []
        lines.append(f"{i}. {button.get('name', '')}{'' if subs else _action(button, commands)}")
        for j, sub in enumerate(subs, 1):
            lines.append(f"   {i}.{j} {sub.get('name', '')}{_action(sub, commands)}")
    conditional = (live or {}).get("conditionalmenu") or []
    if conditional:
        lines.append(f"另有 {len(conditional)} 个个性化菜单（按用户标签等条件显示），这里不列出。")
    return "\n".join(lines)


def _action(button: dict, commands: dict[str, str]) -> str:
    kind = button.get("type", "")
    if kind == "click":
        key = button.get("key", "")
        command = commands.get(key)
        return f"  [点击 {key} → {command}]" if command else f"  [点击 {key}：机器人不认识这个 key，会回复帮助]"
    if kind == "view":
        return f"  [链接 {button.get('url', '')}]"
    return f"  [{kind}]"
