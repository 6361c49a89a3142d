"""A computed indicator in the reader's words: how its rate came from its inputs, how
its score came from the rule, and why the evaluator's recorded score differs.

The stored result holds figures and the kind's facts (``how``), never sentences: the
words are made when the result is read, in the reader's language (the API's caller, the
page's reader, Chinese in the scheduler's report).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext

from riskctl.assessment.spec import GRADE_LABELS


def _(text: str, **values: Any) -> str:
    return str(gettext(text, **values))


def _value(entry: Mapping[str, Any]) -> str:
    value = entry.get("value")
    if value is None:
        return "—"
    if entry["type"] == "yes_no":
        return _("yes") if value else _("no")
    if entry["type"] == "grade":
        return GRADE_LABELS.get(str(value), str(value))
    if entry["type"] == "percent":
        return f"{value}%"
    if entry["type"] == "points":
        return _("%(met)s of %(n)s", met=value, n=len(entry.get("points", [])))
    return str(value)


def input_value(entry: Mapping[str, Any]) -> str:
    """An input as the result page shows it (amounts in 万元 as typed)."""
    return _value(entry)


def rate_words(row: Mapping[str, Any]) -> str:
    """``103.18 ÷ 3294.78 = 3.13%``: the rate from the inputs (empty without a rate)."""
    how, rate = row.get("how") or {}, row.get("rate")
    if rate is None or "shape" not in how:
        return ""
    values = {i["key"]: i["value"] for i in row["inputs"]}
    keys = how["keys"]
    if how["shape"] == "ratio":
        return f"{values[keys[0]]} ÷ {values[keys[1]]} × 100% = {rate}%"
    if how["shape"] == "change":
        a, b = values[keys[0]], values[keys[1]]
        return f"({a} − {b}) ÷ {b} × 100% = {rate}%"
    return _("as given: %(rate)s%%", rate=rate)


def score_words(row: Mapping[str, Any]) -> str:
    """How the score follows from the rule, with the figures."""
    how, score, top = row.get("how") or {}, row.get("score"), row.get("max")
    if score is None:
        return _("not scored: inputs missing")
    kind = row["kind"]
    if kind == "linear":
        rate, full, zero = row["rate"], how["full_at"], how["zero_at"]
        if score == top:
            return _(
                "%(rate)s%% is at or beyond %(full)s%%: full marks, %(score)s",
                rate=rate,
                full=full,
                score=score,
            )
        if score == "0.00":
            return _("%(rate)s%% is at or beyond %(zero)s%%: 0", rate=rate, zero=zero)
        return _(
            "between %(full)s%% (full marks) and %(zero)s%% (0): "
            "(%(zero)s − %(rate)s) ÷ (%(zero)s − %(full)s) × %(max)s = %(score)s",
            full=full,
            zero=zero,
            rate=rate,
            max=top,
            score=score,
        )
    if kind == "bands":
        shown = f"{row['rate']}%" if row.get("rate") is not None else how.get("value")
        if how.get("absolute"):
            shown = _("%(value)s (its absolute value counts)", value=shown)
        if how.get("band") is None:
            return _("%(value)s falls in no band: %(score)s", value=shown, score=score)
        return _(
            "%(value)s falls in band %(n)s of the rule: %(score)s",
            value=shown,
            n=how["band"] + 1,
            score=score,
        )
    if kind == "checklist":
        return _(
            "%(met)s of %(n)s points met: %(max)s − %(step)s × %(off)s = %(score)s (never below 0)",
            met=how["met"],
            n=how["points"],
            max=top,
            step=how["step"],
            off=how["points"] - how["met"],
            score=score,
        )
    if kind == "all_or_nothing":
        return _("yes: full marks, %(score)s", score=score) if how["yes"] else _("no: 0")
    return _(
        "%(grade)s: %(score)s", grade=GRADE_LABELS.get(how["grade"], how["grade"]), score=score
    )


def reason_words(reason: Mapping[str, Any] | None) -> str:
    """Why the recorded score differs from the computed one."""
    if not reason:
        return ""
    if reason["kind"] == "rate_rounded":
        return _(
            "the recorded score was computed from the rate rounded to %(rounded)s%%; the "
            "exact rate %(rate)s%% gives the computed score",
            rounded=reason["rounded_rate"],
            rate=reason["rate"],
        )
    if reason["kind"] == "note":
        return str(reason["note"])
    return _("not explained by the inputs: check the evaluator's scoring")


def explained(result: Mapping[str, Any]) -> dict[str, Any]:
    """The stored result with the words added (``rate_words``, ``score_words``,
    ``reason_words`` per indicator and difference), as the API and the pages give it."""
    out = dict(result)
    out["indicators"] = [
        {
            **row,
            "rate_words": rate_words(row),
            "score_words": score_words(row),
            "reason_words": reason_words(row.get("reason")),
        }
        for row in result["indicators"]
    ]
    out["differences"] = [
        {**d, "reason_words": reason_words(d.get("reason"))} for d in result["differences"]
    ]
    return out
