# callscope image: the API (gunicorn) and the workers run from the same image.
# Model weights are fetched and hash-checked at build time; nothing is downloaded at run time.
FROM python:3.11-slim
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 PYANNOTE_METRICS_ENABLED=false ORT_DISABLE_TELEMETRY=1 \
    CALLSCOPE_CACHE_DIR=/opt/callscope/cache CALLSCOPE_DATA_DIR=/data
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir --no-deps -r requirements.txt
COPY . .
RUN pip install --no-cache-dir --no-deps -e . && callscope models fetch
EXPOSE 8000
CMD ["gunicorn", "-b", "0.0.0.0:8000", "-w", "2", "--threads", "4", "service.wsgi:app"]
