"""The WSGI entry point: `gunicorn wsgi:app`, configured by REGISTRY_* environment variables."""

from registry import create_app

app = create_app()
