"""The test harness itself: under CI=true a missing service fails, never skips; the
application's clock is the test's, not the wall's."""

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests import conftest


def test_a_missing_service_skips_on_a_laptop(monkeypatch):
    monkeypatch.setattr(conftest, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception):
        conftest.need_service("Redis", "connection refused")


def test_a_missing_service_fails_in_ci(monkeypatch):
    monkeypatch.setattr(conftest, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        conftest.need_service("Redis", "connection refused")


def test_the_application_clock_runs_from_the_test_moment_not_the_wall():
    from riskctl.core.clock import utcnow

    first = utcnow()
    assert conftest.TEST_NOW <= first < conftest.TEST_NOW + timedelta(minutes=5)
    time.sleep(0.01)
    assert utcnow() > first  # it runs: durations and ordering by time behave


def test_a_shifted_run_really_runs_on_the_shifted_wall_clock():
    # .ci/shifted sets RISKCTL_TEST_SHIFTED_TO: if libfaketime did not take, this fails
    # rather than letting a "shifted" run pass on today's date.
    shifted = os.environ.get("RISKCTL_TEST_SHIFTED_TO")
    if not shifted:
        pytest.skip("not a shifted-clock run")
    expected = datetime.fromisoformat(shifted).replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - expected) < timedelta(hours=2)
    time.sleep(0.01)  # Python 3.11's sleep works under it (wolfcw/libfaketime#426)


def test_a_process_log_counts_only_tracebacks_through_riskctls_code():
    from tests.processes import ROOT, own_tracebacks

    ours = (
        "Traceback (most recent call last):\n"
        f'  File "{ROOT}/riskctl/alerts/dispatch.py", line 10, in send\n'
        "ValueError: boom\n"
    )
    library = (
        "Traceback (most recent call last):\n"
        '  File "/x/.venv/lib/python3.11/site-packages/engineio/socket.py", line 217\n'
        "wsproto.utilities.LocalProtocolError: cannot be sent in state CLOSED\n"
    )
    assert own_tracebacks("start\n" + library + ours) == [ours.split("last):")[1]]
    assert own_tracebacks(library) == []
    assert own_tracebacks("serving\n") == []
