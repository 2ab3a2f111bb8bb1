"""Menu keys (CLICK events) mapped to the commands they stand for, from ``config/menu.yaml``."""

from __future__ import annotations

from pathlib import Path

import yaml

from config.errors import ConfigError


def load_menu(path: Path) -> dict[str, str]:
    """Read ``commands: {EVENT_KEY: 命令}``; a missing file means no menu; a bad one stops start-up."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} 不是有效的 YAML：{exc}") from None
    commands = data.get("commands") if isinstance(data, dict) else None
    if not isinstance(commands, dict) or not all(isinstance(v, str) and v.strip() for v in commands.values()):
        raise ConfigError(f"{path} 需要 commands: 下面是「菜单 key: 命令文字」")
    return {str(key): value.strip() for key, value in commands.items()}
