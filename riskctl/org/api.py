"""/api/v1 endpoints for units, posts, people and the CSV import."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from riskctl.api import documents_errors
from riskctl.api.auth import authenticated, current_principal, requires
from riskctl.core import audit
from riskctl.core.access import Action
from riskctl.core.db import writes
from riskctl.core.errors import DomainError
from riskctl.extensions import db
from riskctl.org import importer, services
from riskctl.org.schemas import (
    PageArgs,
    PeopleArgs,
    PersonCreateIn,
    PersonOut,
    PersonPage,
    PostIn,
    PostOut,
    PostPage,
    UnitIn,
    UnitOut,
    UnitPage,
)

blp = Blueprint("org", __name__, url_prefix="/api/v1", description="Units, posts and people")


@blp.route("/units")
class Units(MethodView):
    @authenticated
    @documents_errors(blp, 401)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, UnitPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Units the caller may see (admins: all; inspectors: their scope)."""
        return services.list_units(db.session, current_principal(), **args)

    @requires(Action.MANAGE_ORG)
    @documents_errors(blp, 401, 403, 409)
    @blp.arguments(UnitIn)
    @blp.response(201, UnitOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a unit (admin)."""
        unit, _ = services.save_unit(db.session, current_principal(), data)
        db.session.commit()
        return unit


@blp.route("/units/<code>")
class UnitByCode(MethodView):
    @authenticated
    @documents_errors(blp, 401, 404)
    @blp.response(200, UnitOut)
    def get(self, code: str) -> Any:
        return services.visible_unit(db.session, current_principal(), code)


@blp.route("/units/<code>/posts")
class UnitPosts(MethodView):
    @authenticated
    @documents_errors(blp, 401, 404)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, PostPage)
    def get(self, args: dict[str, Any], code: str) -> Any:
        """Posts of a unit the caller may see."""
        return services.list_posts(db.session, current_principal(), code, **args)

    @requires(Action.MANAGE_ORG)
    @documents_errors(blp, 401, 403, 404, 409)
    @blp.arguments(PostIn)
    @blp.response(201, PostOut)
    def post(self, data: dict[str, Any], code: str) -> Any:
        """Create a post in a unit (admin)."""
        post, _ = services.save_post(db.session, current_principal(), code, data)
        db.session.commit()
        return post


@blp.route("/people")
class People(MethodView):
    @writes  # every read of people is audited
    @authenticated
    @documents_errors(blp, 401, 403, 404)
    @blp.arguments(PeopleArgs, location="query")
    @blp.response(200, PersonPage)
    def get(self, args: dict[str, Any]) -> Any:
        """People the caller may see; every read is audited (personal data)."""
        page = services.list_people(
            db.session,
            current_principal(),
            unit_code=args["unit"],
            limit=args["limit"],
            offset=args["offset"],
        )
        db.session.commit()
        return page

    @requires(Action.MANAGE_ORG)
    @documents_errors(blp, 401, 403, 409)
    @blp.arguments(PersonCreateIn)
    @blp.response(201, PersonOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a person with roles, posts, inspection scope and declared conflicts (admin)."""
        person, _ = services.save_person(db.session, current_principal(), data)
        db.session.commit()
        return person


@blp.route("/people/<username>")
class PersonByUsername(MethodView):
    @writes  # every read of people is audited
    @authenticated
    @documents_errors(blp, 401, 404)
    @blp.response(200, PersonOut)
    def get(self, username: str) -> Any:
        person = services.visible_person(db.session, current_principal(), username)
        db.session.commit()
        return person


class ImportFiles(Schema):
    units = Upload(metadata={"description": "CSV: code,name,kind,parent"})
    posts = Upload(metadata={"description": "CSV: unit,code,name,risk[,leading]"})
    people = Upload(
        metadata={"description": "CSV: username,name,phone,unit,roles,posts,risk,scope,active"}
    )


class ImportArgs(Schema):
    # Not named `partial`: that would shadow marshmallow's Schema.partial.
    allow_partial = fields.Boolean(
        data_key="partial",
        load_default=False,
        metadata={
            "description": "write the valid rows and report the bad ones instead of rejecting all"
        },
    )


class ImportError_(Schema):
    file = fields.String()
    row = fields.Integer()
    path = fields.String()
    message = fields.String()


class ImportResultOut(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    errors = fields.List(fields.Nested(ImportError_))
    summary = fields.Dict(keys=fields.String(), values=fields.Dict())


@blp.route("/org/import")
class OrgImport(MethodView):
    @requires(Action.MANAGE_ORG)
    @documents_errors(blp, 401, 403)
    @blp.arguments(ImportArgs, location="query")
    @blp.arguments(ImportFiles, location="files")
    @blp.response(200, ImportResultOut)
    def post(self, args: dict[str, Any], files: dict[str, Any]) -> Any:
        """Bulk create or update units, posts and people from CSV (admin).

        All or nothing: any bad row rejects the import (422, every bad row listed)
        unless `?partial=1`."""
        principal = current_principal()
        raw = {name: upload.read() for name, upload in files.items()}
        try:
            result = importer.import_org(db.session, principal, raw, partial=args["allow_partial"])
        except DomainError as exc:
            db.session.rollback()
            audit.record(
                db.session,
                "org.import_rejected",
                target_type="org",
                after={"problems": len(exc.details)},
            )
            db.session.commit()
            raise
        db.session.commit()
        return result
