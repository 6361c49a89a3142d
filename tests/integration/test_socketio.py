"""Socket.IO is served by the web process in threading mode."""

from riskctl.extensions import socketio


def test_socketio_runs_in_threading_mode(app):
    assert socketio.async_mode == "threading"
    assert socketio.server.eio.async_mode == "threading"


def test_the_engineio_handshake_answers(client):
    response = client.get("/socket.io/?EIO=4&transport=polling")
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("0{")  # engine.io "open" packet
    assert '"sid"' in response.get_data(as_text=True)
