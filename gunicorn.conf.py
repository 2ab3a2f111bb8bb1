"""Gunicorn settings for the bot: ``gunicorn -c gunicorn.conf.py`` (see README).

Two sync workers per core: a worker spends most of a request waiting on Redis or the index,
and slow answers move to the bot's own background threads after the reply deadline. The app is
loaded once before forking (``preload_app``) so jieba's dictionary, OpenCC's tables and the opened
index searcher (its typo map, masks and mapped segments) are shared copy-on-write; thread pools are
started per worker after the fork, and a worker opens a new index generation itself when one goes live.
"""

import multiprocessing
import os
import sys

from config.errors import ConfigError
from config.settings import load_dotenv_file, load_settings

# Check the settings before gunicorn loads the app: a wrong setting stops the server with one clear
# line and exit code 2, not the app's traceback repeated by every worker.
load_dotenv_file()
try:
    load_settings().require_bot_secrets()
except ConfigError as _exc:
    print(f"配置错误：{_exc}", file=sys.stderr)
    sys.exit(2)

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

# --- Prometheus multiprocess mode (bot/metrics.py) -------------------------------------------------
# Every worker writes its metrics to files in PROMETHEUS_MULTIPROC_DIR and /metrics sums them. The
# variable must be set before prometheus_client is first imported (it picks its mode then), so it
# is set here, in the master, before the app is loaded; forked workers inherit it. Without it a
# scrape would see only the share of the worker that happens to answer.
_metrics_dir_created = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _metrics_dir_created:
    import tempfile as _tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _tempfile.mkdtemp(prefix="caselink-metrics-")
else:
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


def on_starting(server):
    """Empty the metrics directory: figures of a previous run must not be added to this one's."""
    import glob

    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def pre_fork(server, worker):
    """Move everything the master loaded (jieba's dictionary, OpenCC, the app) out of the garbage
    collector's reach before forking: a collection in a worker would otherwise write to those objects'
    headers and copy their pages into the worker, though nothing in them changes."""
    import gc

    gc.freeze()


def child_exit(server, worker):
    """Drop a dead worker's live gauges (its counters stay: they are part of the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory if this file created it."""
    if _metrics_dir_created:
        import shutil

        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
