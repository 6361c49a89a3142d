"""Pages of study (廉政教育)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("education_pages", __name__, url_prefix="/study")
