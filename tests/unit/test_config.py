"""Settings: declared once, overridden by RISKCTL_*, validated at start."""

import pytest

import config
from config.default import INSECURE_SECRET_KEY, Settings


def test_environment_variables_override_defaults(monkeypatch):
    monkeypatch.setenv("RISKCTL_API_TOKEN_TTL_HOURS", "3")
    monkeypatch.setenv("RISKCTL_REDIS_URL", "redis://cache:6379/0")
    settings = config.load("development")
    assert settings.API_TOKEN_TTL_HOURS == 3
    assert settings.REDIS_URL == "redis://cache:6379/0"


def test_a_badly_typed_variable_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("RISKCTL_API_TOKEN_TTL_HOURS", "soon")
    with pytest.raises(config.ConfigError, match="API_TOKEN_TTL_HOURS"):
        config.load("development")


def test_production_refuses_the_development_secret_a_missing_database_and_console_sms(
    monkeypatch,
):
    for name in ("RISKCTL_SECRET_KEY", "RISKCTL_DATABASE_URL", "RISKCTL_SMS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(config.ConfigError) as caught:
        config.load("production")
    problems = "\n".join(caught.value.problems)
    assert "RISKCTL_SECRET_KEY" in problems
    assert "RISKCTL_DATABASE_URL is required" in problems
    assert "RISKCTL_SMS_BACKEND=console" in problems


def test_production_starts_with_real_settings():
    settings = config.load(
        "production",
        {
            "SECRET_KEY": "k" * 40,
            "DATABASE_URL": "postgresql://riskctl@db/riskctl",
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": "AC123",
            "TWILIO_AUTH_TOKEN": "secret",
            "TWILIO_FROM_NUMBER": "+15005550006",
        },
    )
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.SECRET_KEY != INSECURE_SECRET_KEY


def test_twilio_backend_needs_its_credentials():
    with pytest.raises(config.ConfigError, match="TWILIO_ACCOUNT_SID"):
        config.load("development", {"SMS_BACKEND": "twilio"})


def test_an_unknown_environment_is_refused():
    with pytest.raises(config.ConfigError, match="RISKCTL_ENV"):
        config.load("staging")


def test_environment_modules_only_change_defaults_they_declare_nothing_new():
    for cls in config.ENVIRONMENTS.values():
        assert set(cls.model_fields) == set(Settings.model_fields)
