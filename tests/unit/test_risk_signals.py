"""The risk domain tells others when a warning is closed, without knowing who listens."""

from __future__ import annotations

from riskctl.risk import signals


def test_a_receiver_gets_the_event_and_the_follow_up():
    got = []

    def receiver(sender, **kwargs):
        got.append((sender, kwargs))

    signals.warning_closed.connect(receiver)
    try:
        signals.warning_closed.send("event", session="s", principal="p", event="event",
                                    follow_up={"due": "2026-12-10"})  # fmt: skip
    finally:
        signals.warning_closed.disconnect(receiver)
    assert got == [("event", {"session": "s", "principal": "p", "event": "event",
                              "follow_up": {"due": "2026-12-10"}})]  # fmt: skip
