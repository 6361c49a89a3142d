"""Liveness and readiness probes for the proxy and the process supervisor."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from riskctl.core.health import check_database, check_redis
from riskctl.extensions import db

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Probes")


class Health(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.String())


@blp.route("/healthz")
class Liveness(MethodView):
    @blp.response(200, Health)
    def get(self) -> Any:
        """The process is up (no dependency is checked)."""
        return {"status": "ok", "checks": {}}


@blp.route("/readyz")
class Readiness(MethodView):
    @blp.response(200, Health)
    @blp.alt_response(503, schema=Health, description="a dependency is down")
    def get(self) -> Any:
        """The database answers, and Redis when it is configured."""
        redis_url = current_app.config["RISKCTL"].REDIS_URL
        problems = {
            "database": check_database(db.session),
            "redis": check_redis(redis_url) if redis_url else None,
        }
        checks = {
            name: ("not configured" if name == "redis" and not redis_url else (problem or "ok"))
            for name, problem in problems.items()
        }
        failed = any(problems.values())
        return {"status": "not_ready" if failed else "ready", "checks": checks}, (
            503 if failed else 200
        )
