"""The test harness itself: under CI=true a missing service fails, never skips."""

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
