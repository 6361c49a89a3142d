"""WSGI entry point: ``FLASK_APP=wsgi`` and ``gunicorn wsgi:app``.  ``flask riskctl
scheduler`` gets the application without its pages (riskctl.create_app)."""

import sys

from riskctl import create_app, role_of

app = create_app(role=role_of(sys.argv))
