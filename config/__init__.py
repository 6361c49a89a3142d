"""Loading and validating settings.  The only place that reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from config.default import Settings
from config.development import DevelopmentSettings
from config.production import ProductionSettings
from config.testing import TestingSettings

ENVIRONMENTS: dict[str, type[Settings]] = {
    "development": DevelopmentSettings,
    "testing": TestingSettings,
    "production": ProductionSettings,
}


class ConfigError(RuntimeError):
    """Raised at start when the settings cannot run the app; lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid riskctl configuration:\n  - " + "\n  - ".join(problems))
        self.problems = problems


def load(env: str | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings for ``env`` (default ``RISKCTL_ENV``, else development).

    Precedence: ``overrides`` (tests) > ``RISKCTL_*`` environment > environment module
    defaults > ``config.default``.
    """
    name = env or os.environ.get("RISKCTL_ENV", "development")
    if name not in ENVIRONMENTS:
        raise ConfigError([f"RISKCTL_ENV={name!r} is not one of {', '.join(ENVIRONMENTS)}"])
    try:
        # pydantic-settings gives init arguments precedence over the environment.
        settings = ENVIRONMENTS[name](**dict(overrides or {}))
    except ValidationError as exc:
        raise ConfigError(
            [f"RISKCTL_{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from exc
    problems = settings.problems()
    if problems:
        raise ConfigError(problems)
    return settings


def environ_flag(name: str) -> str | None:
    """Read a non-RISKCTL variable the tooling needs (e.g. ``CI``); kept here on purpose."""
    return os.environ.get(name)
