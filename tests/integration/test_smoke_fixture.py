from tests.conftest import count


def test_demo_data_is_loaded_once_per_backend(session):
    from riskctl.org.models import Person, Unit

    assert count(session, Unit) == 6
    assert count(session, Person) == 60


def test_requests_see_their_own_user_not_the_previous_one(client, token_for):
    me = client.get("/api/v1/me", headers=token_for("czj.wangfang"))
    assert me.json["username"] == "czj.wangfang"
    assert client.get("/api/v1/me").status_code == 401
