"""Browser sessions end on the server: sign-out ends that session; a password change and
an administrator's disabling end every session and bearer token of the person."""

from __future__ import annotations

import contextvars
from typing import Any

import sqlalchemy as sa

from riskctl.auth.models import ApiToken
from riskctl.core.audit import AuditRecord
from riskctl.core.calendar_store import local_date
from tests.integration.test_pages import csrf_from, sign_in

NEW_PASSWORD = "another-pass-2027"


def copied_session(app: Any, client: Any) -> Any:
    """A second browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None, "not signed in"
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def signed_in(response: Any) -> bool:
    return response.status_code == 200


def person_form(person: Any, **changes: Any) -> dict[str, Any]:
    """The admin person form as the page would post it, with ``changes``."""
    today = local_date()
    posts = [a for a in person.assignments if a.valid_to is None or a.valid_to >= today]
    form: dict[str, Any] = {
        "action": "save", "post_rows": str(len(posts)), "name": person.name,
        "phone": person.phone, "unit": person.unit.code, "roles": [r.value for r in person.roles],
        "risk": str(person.risk), "is_active": "on",
    }  # fmt: skip
    for n, held in enumerate(posts):
        form[f"posts-{n}-code"] = held.post.code
        form[f"posts-{n}-from"] = held.valid_from.isoformat()
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def admin_saves(app: Any, person: Any, **changes: Any) -> Any:
    admin = app.test_client()
    sign_in(admin, "admin")
    url = f"/admin/people/{person.username}"
    token = csrf_from(admin.get(url).get_data(as_text=True))
    return admin.post(url, data={**person_form(person, **changes), "csrf_token": token})


def ended_records(session: Any, username: str) -> list[dict[str, Any]]:
    return [
        r.after
        for r in session.scalars(
            sa.select(AuditRecord)
            .where(AuditRecord.action == "auth.sessions_ended", AuditRecord.target_id == username)
            .order_by(AuditRecord.id)
        )
    ]


def test_a_session_cookie_copied_before_sign_out_no_longer_works_after_it(app, client, session):
    assert sign_in(client, "czj.wangfang").status_code == 302
    thief = copied_session(app, client)
    assert signed_in(thief.get("/")) and thief.get("/api/v1/me").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(home)}).status_code == 302
    assert thief.get("/").status_code == 302  # to the login page
    assert thief.get("/api/v1/me").status_code == 401
    actions = session.scalars(
        sa.select(AuditRecord.action).where(AuditRecord.target_id == "czj.wangfang")
    ).all()
    assert "auth.logout" in actions


def test_signing_out_one_browser_keeps_the_persons_other_sessions(app, client):
    sign_in(client, "czj.wangfang")
    other = app.test_client()
    sign_in(other, "czj.wangfang")
    home = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(home)})
    assert signed_in(other.get("/"))


def test_a_password_set_from_the_cli_ends_every_session_and_token(app, client, session, token_for):
    sign_in(client, "czj.wangfang")
    thief = copied_session(app, client)
    bearer = token_for("czj.wangfang")
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    result = app.test_cli_runner().invoke(
        args=["riskctl", "user", "set-password", "czj.wangfang", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert client.get("/").status_code == 302
    assert thief.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    person_id = session.scalar(sa.text("select id from person where username='czj.wangfang'"))
    live = session.scalars(
        sa.select(ApiToken).where(ApiToken.person_id == person_id, ApiToken.revoked_at.is_(None))
    ).all()
    assert live == []
    (ended,) = ended_records(session, "czj.wangfang")
    assert ended["reason"] == "password" and ended["sessions"] >= 1 and ended["tokens"] >= 1
    # The new password works and starts a fresh session.
    again = app.test_client()
    assert sign_in(again, "czj.wangfang", NEW_PASSWORD).status_code == 302
    assert signed_in(again.get("/"))


def test_a_password_changed_on_the_admin_page_ends_the_persons_sessions(
    app, client, session, person, token_for
):
    sign_in(client, "czj.liujing")
    bearer = token_for("czj.liujing")
    saved = admin_saves(app, person("czj.liujing"), password=NEW_PASSWORD)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert [r["reason"] for r in ended_records(session, "czj.liujing")] == ["password"]


def test_saving_a_person_without_a_new_password_keeps_their_sessions(app, client, session, person):
    sign_in(client, "czj.liujing")
    saved = admin_saves(app, person("czj.liujing"), risk="4")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert signed_in(client.get("/"))
    assert ended_records(session, "czj.liujing") == []


def test_disabling_a_person_ends_their_sessions_and_tokens(app, client, session, person, token_for):
    sign_in(client, "czj.sunyan")
    bearer = token_for("czj.sunyan")
    saved = admin_saves(app, person("czj.sunyan"), is_active=None)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert [r["reason"] for r in ended_records(session, "czj.sunyan")] == ["disabled"]
    # Enabled again, the old cookie and token stay dead.
    assert admin_saves(app, person("czj.sunyan")).status_code == 302
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/me", headers=bearer).status_code == 401


def test_an_ended_session_cannot_open_a_socket(app, client):
    from riskctl.extensions import socketio

    def connect(browser: Any) -> Any:
        # in a context of its own, as a real server's connection (see IsolatedClient)
        return contextvars.Context().run(
            socketio.test_client, app, namespace="/screen", flask_test_client=browser
        )

    sign_in(client, "jw.hexiaoping")
    thief = copied_session(app, client)
    live = connect(thief)
    assert live.is_connected("/screen")
    home = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(home)})
    assert not connect(thief).is_connected("/screen")


def test_a_cookie_without_a_server_side_session_signs_nobody_in(app, client, person):
    """A cookie signed with the key but naming no live session (e.g. one from before
    server-side sessions, or a forged user id) is not a sign-in."""
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(person("admin").id)
        cookie["_fresh"] = True
    assert client.get("/").status_code == 302
    with client.session_transaction() as cookie:
        cookie["sid"] = "not-a-session-key"
    assert client.get("/api/v1/me").status_code == 401


def test_another_persons_session_key_does_not_sign_in_as_them(app, client, person):
    sign_in(client, "czj.wangfang")
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(person("admin").id)  # the key is wangfang's
    assert client.get("/api/v1/me").status_code == 401


def test_last_seen_is_written_every_few_minutes_not_on_every_request(client, session, at):
    from datetime import timedelta

    from riskctl.auth.models import SignInSession
    from tests.conftest import TEST_NOW

    sign_in(client, "czj.wangfang")
    row = session.scalars(sa.select(SignInSession).order_by(SignInSession.id.desc())).first()
    # The test clock runs from TEST_NOW: the sign-in is a moment after it.
    assert TEST_NOW <= row.last_seen_at < TEST_NOW + timedelta(minutes=1)
    at(TEST_NOW + timedelta(minutes=2))
    client.get("/")
    session.refresh(row)
    assert row.last_seen_at < TEST_NOW + timedelta(minutes=1)
    at(TEST_NOW + timedelta(minutes=6))
    client.get("/")
    session.refresh(row)
    assert row.last_seen_at == TEST_NOW + timedelta(minutes=6)


def test_ended_and_abandoned_sessions_are_purged_after_30_days(app, client, session, at):
    from datetime import timedelta

    from riskctl.auth.models import SignInSession
    from riskctl.auth.services import purge_expired_tokens
    from tests.conftest import TEST_NOW

    sign_in(client, "czj.wangfang")  # abandoned: never signed out
    signed_out = app.test_client()
    sign_in(signed_out, "czj.liujing")
    home = signed_out.get("/").get_data(as_text=True)
    signed_out.post("/logout", data={"csrf_token": csrf_from(home)})
    ours = (
        sa.select(sa.func.count())
        .select_from(SignInSession)
        .where(SignInSession.created_at >= TEST_NOW)
    )
    assert session.scalar(ours) == 2
    at(TEST_NOW + timedelta(days=29))
    purge_expired_tokens(session)
    assert session.scalar(ours) == 2
    at(TEST_NOW + timedelta(days=31))
    purge_expired_tokens(session)
    assert session.scalar(ours) == 0
    assert client.get("/").status_code == 302
