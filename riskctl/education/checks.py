"""The checks of what managers write (titles, numbers, lists) with every problem at its
path, raised together as one 422."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from riskctl.core.errors import ValidationFailed
from riskctl.core.inputs import InputProblem, text_problem, whole_number
from riskctl.education import spec


class Problems:
    """Every problem of one input, with its path; raised together as one 422."""

    def __init__(self) -> None:
        self.details: list[dict[str, Any]] = []

    def add(self, path: str, message: Any) -> None:
        self.details.append({"path": path, "message": message})

    def extend(self, found: Iterable[spec.Problem]) -> None:
        for problem in found:
            self.add(problem.path, problem.message)

    def raise_any(self) -> None:
        if self.details:
            first = self.details[0]
            raise ValidationFailed(
                _l("%(path)s: %(message)s", path=first["path"], message=first["message"]),
                details=self.details,
            )


def line(problems: Problems, raw: Mapping[str, Any], key: str, limit: int,
          *, required: bool = True) -> str:  # fmt: skip
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(key, _l("write it"))
        return ""
    if not isinstance(value, str):
        problems.add(key, _l("must be text"))
        return ""
    value = value.strip()
    if len(value) > limit:
        problems.add(key, _l("at most %(n)d characters", n=limit))
    elif (why := text_problem(value, single_line=True)) is not None:
        problems.add(key, why)
    return value


def number(problems: Problems, raw: Mapping[str, Any], key: str, low: int, high: int,
            default: int | None = None) -> int:  # fmt: skip
    value = raw.get(key, default)
    if value is None or value == "":
        if default is None:
            problems.add(key, _l("write a whole number"))
        return default or 0
    wrong = _l("must be a whole number from %(min)d to %(max)d", min=low, max=high)
    if isinstance(value, bool):  # JSON's true is no number of questions
        problems.add(key, wrong)
        return default or 0
    try:
        number = value if isinstance(value, int) else whole_number(str(value))
    except InputProblem:
        problems.add(key, wrong)
        return default or 0
    if not low <= number <= high:
        problems.add(key, wrong)
    return int(number)
