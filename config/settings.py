"""Load and validate CaseLink's settings once, from the environment (and an optional `.env`).

Every setting the product reads is declared here, with its default, so `config/.env.example`,
the README table and the code cannot drift apart (a test checks the first two against
``SETTINGS_DOC``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from config import clock
from config.clock import DEFAULT_TIMEZONE
from config.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"

# Values that mean "somebody copied the example and forgot to fill it in".
PLACEHOLDERS = {"", "change-me", "changeme", "placeholder", "xxx", "your-token", "todo"}

# Only in explicit dev mode do secrets have working defaults; the service says so at start.
DEV_SECRETS = {
    "wechat_token": "caselink-dev-token",
    "wechat_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "wechat_appid": "wxcaselinkdev0000",
    "admin_token": "caselink-dev-admin",
    "secret_key": "caselink-dev-secret-key-not-for-production",
}

# name -> (attribute, default, description); the single source for docs and validation.
SETTINGS_DOC: dict[str, tuple[str, str, str]] = {
    "CASELINK_DEV": ("dev", "0", "1 = 开发模式：密钥使用内置开发值（仅限本机试用）"),
    "WECHAT_TOKEN": ("wechat_token", "", "公众号后台「服务器配置」里的 Token"),
    "WECHAT_APPID": ("wechat_appid", "", "公众号 AppID"),
    "WECHAT_SECRET": ("wechat_secret", "", "公众号 AppSecret（调用客服消息、菜单、已发布文章接口）"),
    "WECHAT_AES_KEY": ("wechat_aes_key", "", "EncodingAESKey（43 位，安全模式/兼容模式必填）"),
    "WECHAT_AES_KEY_PREVIOUS": (
        "wechat_aes_key_previous",
        "",
        "更换 EncodingAESKey 期间的旧密钥，解密失败时回退使用",
    ),
    "WECHAT_MESSAGE_MODE": (
        "wechat_message_mode",
        "",
        "消息加解密方式：plain 明文 / compat 兼容 / safe 安全，与公众号后台一致；"
        "留空时设置了 WECHAT_AES_KEY 即为 safe，否则 plain。compat 和 safe 只认密文，拒绝明文推送",
    ),
    "WECHAT_ACCOUNT_ID": (
        "wechat_account_id",
        "",
        "公众号的原始 ID（gh_ 开头，公众号后台「设置与开发 → 基本设置」）；填写后只接受发给这个公众号的消息",
    ),
    "WECHAT_API_BASE": ("wechat_api_base", "https://api.weixin.qq.com/cgi-bin/", "微信 API 地址（测试时指向本地替身）"),
    "WECHAT_IMPORT_PUBLISHED": (
        "import_published",
        "0",
        "1 = 建索引时也读取公众号「已发布」的文章（freepublish/batchget，需要 AppID/AppSecret）",
    ),
    "SEMANTIC_CHANNEL": (
        "semantic_channel",
        "0",
        "1 = 建索引时从公开文章学习词与文章的语义空间（LSA），搜索时按整体意思补充结果；评测未证明有益，默认关闭",
    ),
    "REDIS_URL": ("redis_url", "", "Redis 地址；留空则使用进程内替身（仅单进程）"),
    "REDIS_SENTINELS": (
        "redis_sentinels",
        "",
        "Redis Sentinel 地址，host:port 用逗号分隔（设置后经 Sentinel 找主库，不能再设 REDIS_URL）",
    ),
    "REDIS_SENTINEL_MASTER": (
        "redis_sentinel_master",
        "mymaster",
        "Sentinel 里主库的名字（sentinel.conf 里 monitor 的名字）",
    ),
    "REDIS_PASSWORD": ("redis_password", "", "Redis 主库和副本的密码（REDIS_URL 里写了密码时不用再设）"),
    "REDIS_SENTINEL_PASSWORD": ("redis_sentinel_password", "", "Sentinel 自己的密码（没有就留空）"),
    "REDIS_DB": ("redis_db", "0", "Sentinel 模式下使用的数据库编号"),
    "REDIS_CONNECT_TIMEOUT": ("redis_connect_timeout", "0.5", "连接 Redis 的超时（秒）"),
    "REDIS_SOCKET_TIMEOUT": ("redis_socket_timeout", "2.0", "一条 Redis 命令的超时（秒）"),
    "REDIS_WAIT_REPLICAS": (
        "redis_wait_replicas",
        "",
        "长期状态（角色、邀请码、规则……）写入后要等几个副本确认；留空 = 用 Sentinel 时 1，否则 0",
    ),
    "REDIS_WAIT_TIMEOUT_MS": ("redis_wait_timeout_ms", "500", "等副本确认的最长时间（毫秒），超时就当作没写成"),
    "INDEX_DIR": ("index_dir", "var/index", "索引目录（保存各代索引与 CURRENT）"),
    "CONTENT_DIR": ("content_dir", "content", "内容目录（Markdown、HTML、案例库）"),
    "URLS_FILE": ("urls_file", "config/urls.txt", "要抓取的网页/公众号文章链接清单，每行一个"),
    "FETCH_ALLOWED_HOSTS": (
        "fetch_allowed_hosts",
        "",
        "只允许抓取这些网站（逗号分隔，.example.cn 含子域名）；留空则任何公网网站都可以，内网和本机地址始终拒绝",
    ),
    "SITE_URL": ("site_url", "", "博客站点地址；没有写 url 的文章按 PERMALINK 生成分享链接"),
    "PERMALINK": ("permalink", "/:year/:month/:day/:title/", "Jekyll 风格的链接模式"),
    "ADMIN_OPENIDS": ("admin_openids", "", "管理员 openid，逗号分隔"),
    "ADMIN_TOKEN": ("admin_token", "", "管理后台登录口令"),
    "SECRET_KEY": ("secret_key", "", "签名会话与结果页链接的密钥（至少 16 个字符）"),
    "PUBLIC_BASE_URL": ("public_base_url", "", "机器人自身页面的外网地址，例如 https://bot.example.cn"),
    "REPLY_DEADLINE": ("reply_deadline", "4.0", "被动回复的时间预算（秒），超时改用客服消息推送"),
    "REPLAY_WINDOW": ("replay_window", "300", "消息时间戳允许的偏差（秒），超出视为重放"),
    "RESULT_LINK_TTL": ("result_link_ttl", "86400", "结果页链接有效期（秒）"),
    "SITE_TIMEZONE": ("site_timezone", "Asia/Shanghai", "显示时间和按天统计用的时区（IANA 名称，如 Asia/Shanghai）"),
    "HANDOFF": ("handoff", "", "转人工的方式：kf = 转给公众号的客服系统（多客服）；留空 = 回复联系方式和工作时间"),
    "LOG_LEVEL": ("log_level", "INFO", "日志级别"),
    "COMPANY_NAME": ("company_name", "", "公司或品牌名：分享文案里的署名，标题灵感里没说品牌时的 {品牌}"),
    "COMPANY_INDUSTRY": ("company_industry", "", "公司所在行业，例如 数字营销：标题灵感里的 {行业}"),
    "ACCOUNT_NAME": ("account_name", "", "公众号名称：结果页上写明是谁的页面（留空用 COMPANY_NAME）"),
    "ACCOUNT_QR_URL": ("account_qr_url", "", "公众号二维码图片（https 地址或本站 /static/ 路径），结果页上长按关注"),
    "CONTACT_LINE": ("contact_line", "", "结果页底部的联系方式，一行（留空用「固定回复」里的电话和邮箱）"),
}

SECRET_FIELDS = (
    "wechat_token",
    "wechat_secret",
    "wechat_aes_key",
    "wechat_aes_key_previous",
    "admin_token",
    "secret_key",
    "redis_password",
    "redis_sentinel_password",
)


@dataclass(frozen=True)
class Settings:
    """Validated settings; build with :func:`load_settings`."""

    dev: bool = False
    wechat_token: str = ""
    wechat_appid: str = ""
    wechat_secret: str = field(default="", repr=False)
    wechat_aes_key: str = field(default="", repr=False)
    wechat_aes_key_previous: str = field(default="", repr=False)
    wechat_message_mode: str = "plain"
    wechat_account_id: str = ""
    wechat_api_base: str = "https://api.weixin.qq.com/cgi-bin/"
    import_published: bool = False
    semantic_channel: bool = False
    redis_url: str = ""
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_sentinel_master: str = "mymaster"
    redis_password: str = field(default="", repr=False)
    redis_sentinel_password: str = field(default="", repr=False)
    redis_db: int = 0
    redis_connect_timeout: float = 0.5
    redis_socket_timeout: float = 2.0
    redis_wait_replicas: int = 0
    redis_wait_timeout_ms: int = 500
    index_dir: Path = PROJECT_ROOT / "var/index"
    content_dir: Path = PROJECT_ROOT / "content"
    urls_file: Path = PROJECT_ROOT / "config/urls.txt"
    fetch_allowed_hosts: tuple[str, ...] = ()
    site_url: str = ""
    permalink: str = "/:year/:month/:day/:title/"
    admin_openids: frozenset[str] = frozenset()
    admin_token: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    public_base_url: str = ""
    reply_deadline: float = 4.0
    replay_window: int = 300
    result_link_ttl: int = 86400
    site_timezone: str = DEFAULT_TIMEZONE
    handoff: str = ""
    account_name: str = ""
    account_qr_url: str = ""
    contact_line: str = ""
    log_level: str = "INFO"
    company_name: str = ""
    company_industry: str = ""
    config_dir: Path = CONFIG_DIR
    # Tests only: loopback ports page fetches may reach (a local stand-in server). Deliberately not in
    # SETTINGS_DOC, so no environment variable or .env line can set it; only code building Settings can.
    fetch_loopback_ports: frozenset[int] = frozenset()

    @property
    def redis_configured(self) -> bool:
        """Whether a real Redis is set (REDIS_URL or REDIS_SENTINELS), not the in-process stand-in."""
        return bool(self.redis_url or self.redis_sentinels)

    @property
    def tz(self) -> ZoneInfo:
        """SITE_TIMEZONE as a time zone (``config.clock``)."""
        return clock.zone(self.site_timezone)

    def with_overrides(self, **changes) -> Settings:
        """Return a copy with some fields replaced (CLI options, tests)."""
        return replace(self, **changes)

    def require_bot_secrets(self) -> None:
        """Stop with a clear message when the bot would run with missing or placeholder secrets."""
        missing = [
            name
            for name, (attr, _, _) in SETTINGS_DOC.items()
            if attr in ("wechat_token", "admin_token", "secret_key") and _is_placeholder(getattr(self, attr))
        ]
        if missing:
            raise ConfigError(
                f"缺少必填配置 {', '.join(missing)}（或仍是示例占位值）；在 .env 中填写，本机试用可设 CASELINK_DEV=1"
            )

    def redacted(self) -> dict[str, str]:
        """Settings as strings with secrets masked, for logs and the dashboard."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS:
                value = "***" if value else ""
            elif isinstance(value, frozenset):
                value = ",".join(sorted(value))
            out[f.name] = str(value)
        return out


def _is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS


def _path(value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else PROJECT_ROOT / p


def _number(name: str, raw: str, cast, low, high):
    try:
        value = cast(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} 不是有效的数字") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} 超出范围 {low}–{high}")
    return value


def _flag(name: str, raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("", "0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} 只能是 1 或 0")


def _url(name: str, raw: str) -> str:
    if not raw:
        return raw
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name}={raw!r} 不是 http(s) 地址")
    return raw


# Hosts are lowercased before the check. Compiled on first use: the class over the whole BMP took
# 45 ms of every process start (with re.I; 14 ms without), and most starts list no hosts.
_HOST = r"^(\*?\.)?[a-z0-9\u0080-\uffff]([a-z0-9\u0080-\uffff.-]*[a-z0-9\u0080-\uffff])?$"


def _hosts(name: str, raw: str) -> tuple[str, ...]:
    hosts = tuple(h.strip().lower() for h in re.split(r"[,，\s]+", raw) if h.strip())
    for host in hosts:
        if not re.match(_HOST, host):
            raise ConfigError(f"{name} 里的“{host}”不是网站名（例如 mp.weixin.qq.com 或 .example.cn）")
    return hosts


MESSAGE_MODES = ("plain", "compat", "safe")
_ACCOUNT_ID = re.compile(r"^gh_[A-Za-z0-9_]{1,40}$")


def _timezone(raw: str) -> str:
    name = raw or DEFAULT_TIMEZONE
    try:
        clock.zone(name)
    except ValueError:
        raise ConfigError(f"SITE_TIMEZONE={raw!r} 不是时区名称（例如 Asia/Shanghai、Asia/Hong_Kong）") from None
    return name


def _short_text(name: str, raw: str, limit: int = 20) -> str:
    # Names go into titles and copy: a sentence here is a mistake, and braces would read as slots.
    if len(raw) > limit or re.search(r"[{}\[\]<>\n]", raw):
        raise ConfigError(f"{name}={raw!r} 应是不超过 {limit} 个字的名称，不含括号")
    return raw


def _sentinels(raw: str) -> tuple[tuple[str, int], ...]:
    found = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        host, _, port = item.rpartition(":")
        host = host.strip("[]")  # [::1]:26379
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"REDIS_SENTINELS 里的 {item!r} 应写成 host:port，例如 10.0.0.5:26379")
        found.append((host, int(port)))
    return tuple(found)


def _image(name: str, raw: str) -> str:
    # Shown on pages whose Content-Security-Policy allows https images and this site's own paths.
    if raw and not ((raw.startswith("/") and not raw.startswith("//")) or urlparse(raw).scheme == "https"):
        raise ConfigError(f"{name}={raw!r} 应是 https:// 图片地址或以 / 开头的本站路径")
    if any(c in raw for c in ' "<>'):
        raise ConfigError(f"{name}={raw!r} 不是有效的图片地址")
    return raw


_AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``env`` (default: ``os.environ``) and validate them; raise ConfigError."""
    env = os.environ if env is None else env
    raw = {name: env.get(name, default).strip() for name, (_, default, _) in SETTINGS_DOC.items()}
    dev = _flag("CASELINK_DEV", raw["CASELINK_DEV"])

    secrets = {attr: raw[name] for name, (attr, _, _) in SETTINGS_DOC.items() if attr in SECRET_FIELDS}
    secrets["wechat_appid"] = raw["WECHAT_APPID"]
    if dev:
        for attr, value in DEV_SECRETS.items():
            if _is_placeholder(secrets.get(attr, "")):
                secrets[attr] = value

    for attr in ("wechat_aes_key", "wechat_aes_key_previous"):
        key = secrets[attr]
        if key and not _AES_KEY.match(key):
            raise ConfigError(f"{attr.upper()} 必须是 43 位字母或数字（公众号后台的 EncodingAESKey）")
    if secrets["wechat_aes_key"] and not secrets["wechat_appid"]:
        raise ConfigError("设置了 WECHAT_AES_KEY 时必须同时设置 WECHAT_APPID（解密要核对 AppID）")
    mode = raw["WECHAT_MESSAGE_MODE"].lower() or ("safe" if secrets["wechat_aes_key"] else "plain")
    if mode not in MESSAGE_MODES:
        raise ConfigError(f"WECHAT_MESSAGE_MODE={raw['WECHAT_MESSAGE_MODE']!r} 只能是 plain、compat 或 safe")
    if mode != "plain" and not secrets["wechat_aes_key"]:
        raise ConfigError(f"WECHAT_MESSAGE_MODE={mode} 需要 WECHAT_AES_KEY（公众号后台的 EncodingAESKey）")
    if raw["WECHAT_ACCOUNT_ID"] and not _ACCOUNT_ID.match(raw["WECHAT_ACCOUNT_ID"]):
        raise ConfigError(f"WECHAT_ACCOUNT_ID={raw['WECHAT_ACCOUNT_ID']!r} 应是 gh_ 开头的原始 ID")
    if secrets["secret_key"] and not _is_placeholder(secrets["secret_key"]) and len(secrets["secret_key"]) < 16:
        raise ConfigError("SECRET_KEY 至少需要 16 个字符")
    if raw["HANDOFF"].lower() not in ("", "kf", "card"):
        raise ConfigError(f"HANDOFF={raw['HANDOFF']!r} 只能是 kf（转给客服系统）或留空（回复联系方式）")
    if raw["LOG_LEVEL"].upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"LOG_LEVEL={raw['LOG_LEVEL']!r} 只能是 DEBUG/INFO/WARNING/ERROR")
    redis_url = raw["REDIS_URL"]
    if redis_url and urlparse(redis_url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"REDIS_URL={redis_url!r} 应以 redis:// 开头")
    sentinels = _sentinels(raw["REDIS_SENTINELS"])
    if sentinels and redis_url:
        raise ConfigError("REDIS_URL 和 REDIS_SENTINELS 只能设置一个：用 Sentinel 时主库的地址由 Sentinel 告诉我们")
    if sentinels and not raw["REDIS_SENTINEL_MASTER"]:
        raise ConfigError("设置了 REDIS_SENTINELS 时必须设置 REDIS_SENTINEL_MASTER（sentinel.conf 里 monitor 的名字）")
    wait_default = "1" if sentinels else "0"

    return Settings(
        dev=dev,
        wechat_token=secrets["wechat_token"],
        wechat_appid=secrets["wechat_appid"],
        wechat_secret=secrets["wechat_secret"],
        wechat_aes_key=secrets["wechat_aes_key"],
        wechat_aes_key_previous=secrets["wechat_aes_key_previous"],
        wechat_message_mode=mode,
        wechat_account_id=raw["WECHAT_ACCOUNT_ID"],
        wechat_api_base=_url("WECHAT_API_BASE", raw["WECHAT_API_BASE"]).rstrip("/") + "/",
        import_published=_flag("WECHAT_IMPORT_PUBLISHED", raw["WECHAT_IMPORT_PUBLISHED"]),
        semantic_channel=_flag("SEMANTIC_CHANNEL", raw["SEMANTIC_CHANNEL"]),
        redis_url=redis_url,
        redis_sentinels=sentinels,
        redis_sentinel_master=raw["REDIS_SENTINEL_MASTER"],
        redis_password=raw["REDIS_PASSWORD"],
        redis_sentinel_password=raw["REDIS_SENTINEL_PASSWORD"],
        redis_db=_number("REDIS_DB", raw["REDIS_DB"] or "0", int, 0, 10_000),
        redis_connect_timeout=_number("REDIS_CONNECT_TIMEOUT", raw["REDIS_CONNECT_TIMEOUT"], float, 0.05, 30),
        redis_socket_timeout=_number("REDIS_SOCKET_TIMEOUT", raw["REDIS_SOCKET_TIMEOUT"], float, 0.05, 60),
        redis_wait_replicas=_number("REDIS_WAIT_REPLICAS", raw["REDIS_WAIT_REPLICAS"] or wait_default, int, 0, 10),
        redis_wait_timeout_ms=_number("REDIS_WAIT_TIMEOUT_MS", raw["REDIS_WAIT_TIMEOUT_MS"], int, 10, 60_000),
        index_dir=_path(raw["INDEX_DIR"]),
        content_dir=_path(raw["CONTENT_DIR"]),
        urls_file=_path(raw["URLS_FILE"]),
        fetch_allowed_hosts=_hosts("FETCH_ALLOWED_HOSTS", raw["FETCH_ALLOWED_HOSTS"]),
        site_url=_url("SITE_URL", raw["SITE_URL"]).rstrip("/"),
        permalink=raw["PERMALINK"] or "/:year/:month/:day/:title/",
        admin_openids=frozenset(o.strip() for o in raw["ADMIN_OPENIDS"].split(",") if o.strip()),
        admin_token=secrets["admin_token"],
        secret_key=secrets["secret_key"],
        public_base_url=_url("PUBLIC_BASE_URL", raw["PUBLIC_BASE_URL"]).rstrip("/"),
        reply_deadline=_number("REPLY_DEADLINE", raw["REPLY_DEADLINE"], float, 0.5, 4.8),
        replay_window=_number("REPLAY_WINDOW", raw["REPLAY_WINDOW"], int, 10, 86400),
        result_link_ttl=_number("RESULT_LINK_TTL", raw["RESULT_LINK_TTL"], int, 60, 30 * 86400),
        site_timezone=_timezone(raw["SITE_TIMEZONE"]),
        handoff=raw["HANDOFF"].lower(),
        log_level=raw["LOG_LEVEL"].upper(),
        company_name=_short_text("COMPANY_NAME", raw["COMPANY_NAME"]),
        company_industry=_short_text("COMPANY_INDUSTRY", raw["COMPANY_INDUSTRY"]),
        account_name=_short_text("ACCOUNT_NAME", raw["ACCOUNT_NAME"], limit=30),
        account_qr_url=_image("ACCOUNT_QR_URL", raw["ACCOUNT_QR_URL"]),
        contact_line=_short_text("CONTACT_LINE", raw["CONTACT_LINE"], limit=100),
    )


def load_dotenv_file(path: Path | None = None) -> None:
    """Load `.env` into the process environment without overriding what is already set."""
    from dotenv import load_dotenv

    load_dotenv(path or PROJECT_ROOT / ".env", override=False)
