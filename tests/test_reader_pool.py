"""Forked file readers end, also when the build runs in a process that handles SIGTERM itself.

A gunicorn worker (the bot runs admins' rebuilds in its worker) handles SIGTERM for a graceful stop,
and forked children inherit the handler. The reader pool used to end with ``Pool.terminate()``
(SIGTERM), and a 50,000-file rebuild in `python -m bench web` (whose process handles SIGTERM too)
waited for an idle reader for ever. Readers now end when they run out of work, and take back the
default SIGTERM handling so that a terminate after an error stops them."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from config.settings import PROJECT_ROOT


def test_a_reader_ends_on_sigterm_whatever_its_parent_does():
    """``Pool.terminate()`` (after an error) stops readers with SIGTERM: a reader must not keep the
    handler it inherited from a process that ignores SIGTERM."""
    code = textwrap.dedent(
        """
        import multiprocessing, os, signal, time
        from indexer.sources import _reader_signals

        signal.signal(signal.SIGTERM, lambda *args: None)

        def reader():
            _reader_signals()
            time.sleep(60)

        proc = multiprocessing.get_context("fork").Process(target=reader)
        proc.start()
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGTERM)
        proc.join(20)
        print(proc.exitcode)
        if proc.is_alive():
            proc.kill()
        """
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == str(-15), result.stderr[-2000:]
