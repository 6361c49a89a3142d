"""/api/v1/auth/token and /api/v1/me."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, g, request
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from riskctl.api import documents_errors
from riskctl.api.auth import authenticated, current_person
from riskctl.auth import services
from riskctl.auth.throttle import mark_failed_login, throttle_failed_logins
from riskctl.core.errors import NotAuthenticated, ValidationFailed
from riskctl.core.inputs import Line
from riskctl.extensions import db
from riskctl.org.schemas import PersonOut
from riskctl.org.services import today

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1", description="Tokens and the caller")


class TokenIn(Schema):
    username = Line(required=True, validate=validate.Length(min=1, max=64))
    # A password is anything the person typed on one line: control characters are not.
    password = Line(required=True, load_only=True, validate=validate.Length(max=256))
    name = Line(
        load_default="api",
        validate=validate.Length(min=1, max=80),
        metadata={"description": "a label to tell tokens apart"},
    )


class TokenOut(Schema):
    token = fields.String(metadata={"description": "shown once; send as `Bearer <token>`"})
    expires_at = fields.DateTime()
    user = fields.Nested(PersonOut)


class MeOut(PersonOut):
    unit_info = fields.Function(
        lambda p: (
            {"code": p.unit.code, "name": p.unit.name, "kind": p.unit.kind.value}
            if p.unit
            else None
        )
    )
    current_posts = fields.Function(
        lambda p: [
            {"code": post.code, "name": post.name, "risk": post.risk}
            for post in p.current_posts(today())
        ],
        metadata={"description": "posts held today"},
    )


@blp.route("/auth/token")
class Token(MethodView):
    @throttle_failed_logins
    @documents_errors(blp, 401, 429)
    @blp.arguments(TokenIn)
    @blp.response(201, TokenOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Exchange a username and password for a bearer token (throttled on failures)."""
        person = services.authenticate(
            db.session, data["username"], data["password"], source=f"api {request.remote_addr}"
        )
        if person is None:
            mark_failed_login()
            db.session.commit()  # the failure stays in the audit trail
            raise NotAuthenticated(_l("wrong username or password"), code="invalid_credentials")
        ttl = timedelta(hours=current_app.config["RISKCTL"].API_TOKEN_TTL_HOURS)
        token, row = services.issue_token(db.session, person, ttl=ttl, name=data["name"])
        db.session.commit()
        return {"token": token, "expires_at": row.expires_at, "user": person}

    @authenticated
    @documents_errors(blp, 401)
    @blp.response(204)
    def delete(self) -> None:
        """Revoke the bearer token used for this request."""
        row = g.get("api_token")
        if row is None:
            raise ValidationFailed.at("Authorization", _l("only a bearer token can be revoked"))
        services.revoke_token(db.session, row)
        db.session.commit()


@blp.route("/me")
class Me(MethodView):
    @authenticated
    @documents_errors(blp, 401)
    @blp.response(200, MeOut)
    def get(self) -> Any:
        """The caller: unit, roles, posts held today, inspection scope."""
        return current_person()
