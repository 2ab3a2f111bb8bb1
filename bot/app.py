"""The application factory: the one place that builds and wires the bot's shared objects."""

from __future__ import annotations

import logging

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from jinja2 import MemcachedBytecodeCache

from bot import title_ideas
from bot.chat.normalize import normalize
from bot.jobs import Jobs
from bot.metrics import Metrics
from bot.services import EXTENSION, IndexHandle, Services
from bot.store import Store
from bot.web import admin, errors, health, kit, results, shared
from bot.wechat import webhook
from bot.wechat.client import SharedTokenClient
from bot.wechat.delivery import Delivery
from bot.wechat.menu import load_menu
from bot.wechat.protocol import MAX_BODY, Codec
from config.errors import IndexNotReady
from config.settings import Settings, load_dotenv_file, load_settings
from indexer import Overlay

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app for ``settings`` (default: from the environment and ``.env``)."""
    if settings is None:
        load_dotenv_file()
        settings = load_settings()
    settings.require_bot_secrets()
    configure_logging(settings.log_level)
    if settings.dev:
        log.warning("开发模式（CASELINK_DEV=1）：使用内置开发密钥，请勿用于正式公众号")

    app = Flask(__name__)
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    app.session_interface = PageSessions()
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY, SECRET_KEY=settings.secret_key)
    app.config.update(admin.session_config(settings))
    # CSRF tokens are checked by the admin blueprint only: WeChat cannot send them to /wechat.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    CSRFProtect(app)

    title_ideas.shipped(settings)  # a broken config/titles.yaml stops the start with its reason
    store = Store.for_settings(settings)
    jobs = Jobs()
    metrics = Metrics()
    client = make_wechat_client(settings, store)
    svc = Services(
        settings=settings,
        store=store,
        index=IndexHandle(settings, overlay=Overlay(store.content)),
        codec=Codec(settings),
        wechat=client,
        delivery=Delivery(store, jobs, client, settings.reply_deadline, metrics),
        jobs=jobs,
        menu=load_menu(settings.config_dir / "menu.yaml"),
        metrics=metrics,
    )
    app.extensions[EXTENSION] = svc
    _warm_up(svc)

    app.register_blueprint(webhook.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(results.bp)
    app.register_blueprint(kit.bp)
    app.register_blueprint(shared.bp)
    app.register_blueprint(admin.bp)
    errors.register_error_handlers(app)
    return app


class _Memory(dict):
    """The client MemcachedBytecodeCache expects (``get``/``set``), kept in this process."""

    def set(self, key: str, value: bytes, timeout: int | None = None) -> None:
        self[key] = value


# Templates compiled once per process, not once per app (keyed by name and source checksum, so an
# edited template compiles again).
COMPILED_TEMPLATES = MemcachedBytecodeCache(_Memory(), prefix="caselink-templates/")


class PageSessions(SecureCookieSessionInterface):
    """The dashboard's signed cookie; WeChat's pushes carry none, so ``/wechat`` opens no session
    (verifying a cookie serializer per message was 2% of a worker's time)."""

    def open_session(self, app: Flask, request):
        if request.path == "/wechat":
            return self.make_null_session(app)
        return super().open_session(app, request)


def make_wechat_client(settings: Settings, store: Store) -> SharedTokenClient:
    """The WeChat API client whose access token lives in ``store`` (shared by every worker)."""
    return SharedTokenClient(
        settings.wechat_appid,
        settings.wechat_secret,
        api_base=settings.wechat_api_base,
        session=store.token_storage(),
        lock=store.lock,
    )


def configure_logging(level: str) -> None:
    """Log to stderr at ``level`` unless the host (gunicorn, pytest) already set up logging."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("bot", "indexer"):
        logging.getLogger(name).setLevel(level)


def _warm_up(svc: Services) -> None:
    # Load OpenCC's tables and, through the searcher, jieba's dictionary before the first message,
    # so that with gunicorn's preload_app they are loaded once and shared by all workers.
    normalize("預熱")
    try:
        svc.index.searcher()
        svc.index.settle()  # workers forked next adopt it whole (bot.services.IndexHandle)
    except IndexNotReady as exc:
        log.warning("索引尚未就绪，机器人会回复「内容库正在准备中」：%s", exc)
