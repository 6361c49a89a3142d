"""WSGI entry point: ``FLASK_APP=wsgi`` and ``gunicorn wsgi:app``."""

from riskctl import create_app

app = create_app()
