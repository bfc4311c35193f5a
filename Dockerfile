# EventChain production image: gunicorn web, Celery worker and beat share it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH

# WeasyPrint needs Pango and HarfBuzz; libharfbuzz-subset0 makes font subsetting (and PDFs) ~5x faster.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-dejavu-core openssl curl \
 && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir "uv==0.13.8"

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
RUN DEBUG=0 SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    EVENTCHAIN_CRM_WEBHOOK_SECRET=build python manage.py collectstatic --no-input -v0

RUN useradd --system --home /app eventchain && mkdir -p /app/media && chown eventchain /app/media
USER eventchain
EXPOSE 8000
CMD ["gunicorn", "eventchain.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
