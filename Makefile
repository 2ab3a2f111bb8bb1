# CaseLink (案例通). The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run chat test lint bench bench-web quality index screenshots clean

# A worktree may link .venv to a shared one: then only install what the requirements added.
$(STAMP): requirements.txt requirements-dev.txt
	test -L $(VENV) || { $(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet --upgrade pip; }
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# Build the sample index, then serve the bot in dev mode (in-process Redis stand-in).
run: $(STAMP)
	CASELINK_DEV=1 $(PY) -m indexer rebuild --wait 60
	CASELINK_DEV=1 $(PY) -m bot serve

# The WeChat simulator, talking to the bot that `make run` started (second terminal).
chat: $(STAMP)
	CASELINK_DEV=1 $(PY) -m bot chat --url http://127.0.0.1:8000/wechat

index: $(STAMP)
	$(PY) -m indexer rebuild

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# node-webot's wechat-crypto plays the WeChat server in one test (an implementation that is not ours).
CLIENT := tests/independent_client
$(CLIENT)/node_modules: $(CLIENT)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then cd $(CLIENT) && npm ci --no-audit --no-fund --silent; \
	else echo "npm not found: the independent-client test will be skipped"; fi

# The whole suite: lint, then pytest on one worker more than there are cores (pytest-xdist), each module on
# one worker so its browser or gunicorn starts once; each worker starts its own redis-server when REDIS_URL
# is unset.
# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE): the suite starts
# many Python subprocesses (gunicorn, the CLI, builds), which otherwise compile every module again.
# --no-loadscope-reorder: the slowest modules go first, in the order tests/conftest.py gives them.
test: lint $(CLIENT)/node_modules
	PYTHONDONTWRITEBYTECODE= $(VENV)/bin/pytest -q -n auto --dist loadfile --no-loadscope-reorder

# Refresh the README's screenshots (browser tests write them to docs/screenshots).
screenshots: $(STAMP)
	UPDATE_SCREENSHOTS=1 $(VENV)/bin/pytest -q tests/test_browser_admin.py tests/test_browser_pages.py tests/test_browser_frontdesk.py tests/test_browser_kit.py

bench: $(STAMP)
	$(PY) -m bench search

# POST /wechat under load beside the protocol floor, growth, reindex under load (BENCHMARKS.md).
# About 10 minutes; add e.g. BENCH_WEB_ARGS="--sizes 1000,10000,50000" for the 50,000-document row.
bench-web: $(STAMP)
	$(PY) -m bench web $(BENCH_WEB_ARGS)

quality: $(STAMP)
	$(PY) -m bench quality

clean:
	rm -rf var .pytest_cache .ruff_cache
