"""Gunicorn settings for the bot: ``gunicorn -c gunicorn.conf.py`` (see README).

Two sync workers per core: a worker spends most of a request waiting on Redis or the index,
and slow answers move to the bot's own background threads after the reply deadline. The app is
loaded once before forking (``preload_app``) so jieba's dictionary and OpenCC's tables are
shared copy-on-write; the index searcher and thread pools are opened per worker after the fork.
"""

import multiprocessing
import os

wsgi_app = "bot:create_app()"
bind = os.environ.get("CASELINK_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "sync"
preload_app = True
timeout = 30  # WeChat gives up after 5 s; anything near this is stuck, not slow
graceful_timeout = 20
keepalive = 5
accesslog = None  # the bot logs one line per message itself, without bodies or signatures
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
limit_request_line = 8190
