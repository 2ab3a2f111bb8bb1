# CaseLink: one image for the bot (gunicorn) and the indexer (python -m indexer ...).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    INDEX_DIR=/data/index \
    CONTENT_DIR=/app/content

RUN useradd --create-home --uid 10001 caselink
WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY config ./config
COPY indexer ./indexer
COPY creative ./creative
COPY bot ./bot
COPY content ./content
COPY gunicorn.conf.py ./

# Bytecode written at build time (PYTHONDONTWRITEBYTECODE stops it at run time): otherwise every
# container start compiles every module again (≈0.3 s of a worker's cold start, BENCHMARKS.md).
RUN python -m compileall -q config indexer creative bot

# Prepare the segmenters at build time: jieba writes its dictionary cache to /app/var, and the
# first cut (≈0.5 s) is paid here rather than by the first container start.
RUN python -c "from indexer.resources import load_resources; from indexer.segment import Segmenter; \
r = load_resources(); Segmenter(r, backend='jieba'); Segmenter(r)" \
 && mkdir -p /data/index && chown -R caselink:caselink /data /app/var

USER caselink
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)" || exit 1
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
