# The console's image: gunicorn serves the web process; the same image runs the worker.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

COPY requirements.lock .
RUN pip install --require-hashes -r requirements.lock

COPY . .

# Settings need a SECRET_KEY to load; this throwaway one exists only for collectstatic and
# is not kept in the image's environment. The real one comes from the container's.
RUN SECRET_KEY=collectstatic-only DATA_DIR=/tmp/build-data python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-data

# The code stays owned by root: the console user can read it, not change it.
RUN useradd --system --user-group --uid 10001 --home-dir /app --shell /usr/sbin/nologin console \
    && mkdir -p /app/var \
    && chown console:console /app/var
USER console
ENV DATA_DIR=/app/var

EXPOSE 8000
# No control socket: nothing in the container uses it, and the home directory is read-only.
CMD ["gunicorn", "console.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--no-control-socket"]
