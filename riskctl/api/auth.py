"""Who is calling the API: a bearer token, or a signed-in browser session (with CSRF)."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar

import flask_babel
from flask import g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from riskctl.auth.services import person_for_token
from riskctl.core import audit
from riskctl.core.access import Action, Principal, require
from riskctl.core.errors import NotAuthenticated
from riskctl.extensions import csrf, db
from riskctl.org.models import Person

F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"cookieAuth": []}]


def _resolve() -> Person:
    header = request.headers.get("Authorization")
    if header:
        # An explicit header wins over a browser session and must be valid on its own.
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated(
                _l("the Authorization header must be 'Bearer <token>'"), code="invalid_token"
            )
        found = person_for_token(db.session, token.strip())
        if found is None:
            raise NotAuthenticated(
                _l("the token is invalid, expired or revoked"), code="invalid_token"
            )
        person, g.api_token = found
        source = "api"
        # The language of the answer may be the token's person's (riskctl.web.select_locale).
        g.person = person
        flask_babel.refresh()
    elif current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            csrf.protect()  # cookies are ambient authority; tokens are not
        person = current_user._get_current_object()
        source = "web"
    else:
        raise NotAuthenticated(_l("sign in, or send 'Authorization: Bearer <token>'"))
    audit.act_as(
        db.session, audit.AuditActor(person.id, person.username, f"{source} {request.remote_addr}")
    )
    return person


def current_person() -> Person:
    person = g.get("person")
    if person is None:
        person = g.person = _resolve()
    return person  # type: ignore[no-any-return]


def current_principal() -> Principal:
    return current_person().principal()


def authenticated(view: F) -> F:
    """Require a caller; documents the security schemes in the OpenAPI operation."""
    return _guarded(view, None)


def requires(action: Action) -> Callable[[F], F]:
    """Require a caller whose roles grant ``action`` somewhere; checked before the body
    is parsed, so a caller without the role gets 403, not a validation error.  The unit
    scope is checked by the service."""

    def decorator(view: F) -> F:
        return _guarded(view, action)

    return decorator


def _guarded(view: F, action: Action | None) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        person = current_person()
        if action is not None:
            require(person.principal(), action)
        return view(*args, **kwargs)

    apidoc = deepcopy(getattr(view, "_apidoc", {}))
    apidoc.setdefault("manual_doc", {})["security"] = SECURITY
    wrapper._apidoc = apidoc  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
