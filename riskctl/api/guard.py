"""The checks every request passes before a view reads it, API and pages alike.

- Numbers in the path: werkzeug's ``<int:…>`` takes any number of digits, and an id
  beyond the database's INTEGER fails there (a 500).  Every path number is an id or a
  version: refused here beyond ``ID_MAX`` with a 422 naming the variable (``item_id``),
  for every route at once.
- A JSON body is read by ``riskctl.core.inputs.load_json``: not JSON, not UTF-8, or nested
  deeper than the limit is a 400 (``malformed_json``); a lone surrogate, a control
  character, a number beyond 64 bits or not finite is a 422 at its path.  webargs and
  ``request.get_json`` then read a body known to be sound.
- Query arguments and form fields: no control characters other than tab, newline and
  carriage return in a value (free text), none at all in a name.  Single-line fields
  (names, codes, titles) are checked by their schema field (``inputs.Line``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from riskctl.core.errors import ValidationFailed
from riskctl.core.inputs import ID_MAX, InputProblem, load_json, text_problem, whole_number_range


def install(app: Flask) -> None:
    app.url_value_preprocessor(check_path_numbers)
    app.before_request(check_input)


def check_path_numbers(endpoint: str | None, values: dict[str, Any] | None) -> None:
    for name, value in (values or {}).items():
        if isinstance(value, int) and not isinstance(value, bool) and value > ID_MAX:
            raise ValidationFailed.at(name, whole_number_range(0, ID_MAX))


def check_input() -> None:
    for values in (request.args, request.form):
        for name, value in values.items(multi=True):
            problem = text_problem(name, single_line=True) or text_problem(value)
            if problem:
                raise ValidationFailed.at(name, problem)
    if request.is_json:
        body = request.get_data(cache=True)
        if body.strip():
            try:
                load_json(body)
            except InputProblem as exc:
                raise exc.as_error(code="malformed_json") from None
