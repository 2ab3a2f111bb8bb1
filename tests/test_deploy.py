"""Static checks of the deployment files (no Docker engine runs on CI machines)."""

from __future__ import annotations

import re

import yaml

from config.settings import PROJECT_ROOT, SETTINGS_DOC

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
EXAMPLE = (PROJECT_ROOT / "config" / ".env.example").read_text(encoding="utf-8")
DOCUMENTED = set(re.findall(r"^([A-Z_]+)=", EXAMPLE, re.M))


def test_compose_has_the_three_services():
    assert set(COMPOSE["services"]) == {"bot", "redis", "indexer"}


def test_redis_persists_with_aof_on_a_named_volume_and_is_not_exposed():
    redis = COMPOSE["services"]["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    assert "ports" not in redis
    volume = redis["volumes"][0].split(":")[0]
    assert volume in COMPOSE["volumes"]
    assert redis["healthcheck"]["test"]


def test_bot_and_indexer_share_the_index_volume():
    bot, indexer = COMPOSE["services"]["bot"], COMPOSE["services"]["indexer"]
    mount = "index-data:/data/index"
    assert mount in bot["volumes"] and mount in indexer["volumes"]
    assert bot["environment"]["INDEX_DIR"] == indexer["environment"]["INDEX_DIR"] == "/data/index"
    assert indexer["entrypoint"] == ["python", "-m", "indexer"] and indexer["command"] == ["update"]


def test_bot_runs_gunicorn_with_a_healthcheck_on_healthz():
    bot = COMPOSE["services"]["bot"]
    assert bot["command"][0] == "gunicorn"
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    assert bot["environment"]["REDIS_URL"].startswith("redis://redis:")


def test_secrets_are_required_by_compose():
    env = COMPOSE["services"]["bot"]["environment"]
    for name in ("WECHAT_TOKEN", "SECRET_KEY", "ADMIN_TOKEN"):
        assert re.fullmatch(rf"\$\{{{name}:\?.+\}}", env[name]), name


def test_every_variable_compose_or_gunicorn_reads_is_documented():
    text = (PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    text += (PROJECT_ROOT / "gunicorn.conf.py").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z_]+)", text)) | set(re.findall(r"environ\.get\(\"([A-Z_]+)\"", text))
    assert used - DOCUMENTED == set()
    assert set(SETTINGS_DOC) <= DOCUMENTED


def test_dockerfile_is_slim_non_root_cached_and_healthy():
    assert re.search(r"^FROM python:3\.1\d-slim", DOCKERFILE, re.M)
    assert re.search(r"^USER (?!root)\w+", DOCKERFILE, re.M)
    assert (
        DOCKERFILE.index("COPY requirements.txt")
        < DOCKERFILE.index("RUN pip install")
        < DOCKERFILE.index("COPY indexer")
    )
    assert "HEALTHCHECK" in DOCKERFILE and "/healthz" in DOCKERFILE
    assert "Segmenter" in DOCKERFILE  # jieba's dictionary prepared at build time
    # PYTHONDONTWRITEBYTECODE is set: without bytecode compiled into the image every start compiles it all
    compiled = re.search(r"^RUN python -m compileall .*$", DOCKERFILE, re.M)
    assert compiled and all(p in compiled.group(0).split() for p in ("config", "indexer", "creative", "bot"))


def test_dockerfile_copies_what_the_app_imports():
    for package in ("config", "indexer", "creative", "bot", "content"):
        assert f"COPY {package} " in DOCKERFILE
    assert "gunicorn.conf.py" in DOCKERFILE
