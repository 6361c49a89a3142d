"""An edge's condition as the text of a BPMN ``conditionExpression``, and back.

riskctl's conditions are data (``riskctl.process.conditions``); BPMN keeps a condition
as an expression in some language.  We write the plain subset that Python,
SpiffWorkflow and a reader share:

    amount >= "1000000"
    method in ["竞争性谈判", "竞争性磋商"]
    decision == "approve"                     (the node's decision; not a field)
    (amount >= "1000000") and (method == "询价")

and read it back — and the same subset as other tools write it: Camunda 7's JUEL
(``${amount >= 1000000 && approved}``, ``eq``/``ne``/``gt`` …), Camunda 8's FEEL
(``=amount >= 1000000 and method = "询价"``), SpiffWorkflow's Python.  Reading parses
with ``ast`` and accepts only comparisons of a name with literals joined by and/or;
nothing is ever evaluated.  Anything else (function calls, arithmetic, attributes)
is refused with what to do about it: the designer builds conditions from pickers.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

MAX_EXPRESSION = 2000  # characters; a condition is a line or two
DECISION = "decision"  # the name that stands for the node's decision
_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=",
        ast.In: "in", ast.NotIn: "not_in"}  # fmt: skip
_FLIPPED = {"==": "==", "!=": "!=", ">": "<", ">=": "<=", "<": ">", "<=": ">="}
_NEGATED = {"==": "!=", "!=": "==", ">": "<=", ">=": "<", "<": ">=", "<=": ">", "in": "not_in",
            "not_in": "in"}  # fmt: skip
# Outside string literals: JUEL's and FEEL's spellings of Python's operators.
_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'""", re.S)
_WORDS = [
    (re.compile(r"&&"), " and "), (re.compile(r"\|\|"), " or "),
    (re.compile(r"!(?!=)"), " not "),
    (re.compile(r"(?<![<>!=])=(?!=)"), "=="),  # FEEL's equality
    (re.compile(r"\beq\b"), "=="), (re.compile(r"\bne\b"), "!="), (re.compile(r"\blt\b"), "<"),
    (re.compile(r"\bgt\b"), ">"), (re.compile(r"\ble\b"), "<="), (re.compile(r"\bge\b"), ">="),
    (re.compile(r"\btrue\b"), "True"), (re.compile(r"\bfalse\b"), "False"),
    (re.compile(r"\bnull\b"), "None"),
]  # fmt: skip


class ExpressionProblem(ValueError):
    """A condition that cannot be translated; ``message`` says why and what to do."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- writing


def render(when: Any) -> str:
    """The expression text of a condition as a definition writes it (``{field, op,
    value}``, ``{decision}``, ``{all}``/``{any}``)."""
    if isinstance(when, Mapping):
        for joiner in ("all", "any"):
            if joiner in when and isinstance(when[joiner], list):
                parts = [_grouped(p) for p in when[joiner]]
                return f" {'and' if joiner == 'all' else 'or'} ".join(parts)
        if DECISION in when:
            wanted = when[DECISION]
            if isinstance(wanted, list):
                return f"{DECISION} in {_literal(wanted)}"
            return f"{DECISION} == {_literal(wanted)}"
        if "field" in when:
            op = when.get("op", "==")
            shown = {"in": "in", "not_in": "not in"}.get(op, op)
            return f"{when['field']} {shown} {_literal(when.get('value'))}"
    # Not a condition riskctl wrote: kept as JSON, which reading refuses with its reason.
    return json.dumps(when, ensure_ascii=False)


def _grouped(part: Any) -> str:
    text = render(part)
    return f"({text})" if isinstance(part, Mapping) and ("all" in part or "any" in part) else text


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------- reading


def read(text: str, fields: Mapping[str, str]) -> dict[str, Any] | None:
    """The condition an expression stands for (``fields``: key → type), or None for an
    empty expression; ``ExpressionProblem`` when it cannot be translated."""
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_EXPRESSION:
        raise ExpressionProblem(_l("the condition is longer than %(n)d characters",
                                   n=MAX_EXPRESSION))  # fmt: skip
    for opening in ("${", "#{"):
        if text.startswith(opening) and text.endswith("}"):
            text = text[2:-1].strip()
    text = text.removeprefix("=").strip()  # FEEL
    try:
        tree = ast.parse(_pythonic(text), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ExpressionProblem(_untranslatable()) from None
    return _condition(tree.body, fields)


def _pythonic(text: str) -> str:
    """JUEL's and FEEL's operators as Python's, leaving string literals alone."""
    out: list[str] = []
    last = 0
    for found in _STRING.finditer(text):
        out.append(_words(text[last : found.start()]))
        out.append(found.group())
        last = found.end()
    out.append(_words(text[last:]))
    return "".join(out)


def _words(code: str) -> str:
    for pattern, replacement in _WORDS:
        code = pattern.sub(replacement, code)
    return code


def _untranslatable() -> Any:
    return _l("the condition cannot be translated: riskctl reads comparisons of a field with "
              "values (amount >= 1000000, method in [\"询价\"]) joined by and/or; set it again "
              "in the designer from the process's fields")  # fmt: skip


def _condition(node: ast.expr, fields: Mapping[str, str]) -> dict[str, Any]:
    if isinstance(node, ast.BoolOp):
        key = "all" if isinstance(node.op, ast.And) else "any"
        return {key: [_condition(v, fields) for v in node.values]}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _condition(node.operand, fields)
        if "op" in inner and inner["op"] in _NEGATED:
            return {**inner, "op": _NEGATED[inner["op"]]}
        raise ExpressionProblem(_untranslatable())
    if isinstance(node, ast.Name):  # a yes/no field on its own
        return {"field": node.id, "op": "==", "value": True}
    if isinstance(node, ast.Compare):
        left = node.left
        tests = []
        for op, right in zip(node.ops, node.comparators, strict=True):
            tests.append(_comparison(left, type(op), right, fields))
            left = right
        return tests[0] if len(tests) == 1 else {"all": tests}
    raise ExpressionProblem(_untranslatable())


def _comparison(
    left: ast.expr, op_type: type[ast.cmpop], right: ast.expr, fields: Mapping[str, str]
) -> dict[str, Any]:
    op = _OPS.get(op_type)
    if op is None:
        raise ExpressionProblem(_untranslatable())
    if not isinstance(left, ast.Name) and isinstance(right, ast.Name) and op in _FLIPPED:
        left, right, op = right, left, _FLIPPED[op]  # 1000 <= amount
    if not isinstance(left, ast.Name):
        raise ExpressionProblem(_untranslatable())
    name = left.id
    value = _value(right, fields.get(name))
    if name == DECISION and name not in fields:
        if op == "==" and isinstance(value, str):
            return {DECISION: value}
        if op == "in" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return {DECISION: value}
        raise ExpressionProblem(_l('a decision is tested with == or in (decision == "approve")'))
    if op in ("in", "not_in") and not isinstance(value, list):
        raise ExpressionProblem(_untranslatable())
    return {"field": name, "op": op, "value": value}


def _value(node: ast.expr, kind: str | None) -> Any:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [_value(v, kind) for v in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _value(node.operand, kind)
        if isinstance(inner, int | float) and not isinstance(inner, bool):
            return -inner
    if isinstance(node, ast.Constant) and (
        node.value is None or isinstance(node.value, str | int | float | bool)
    ):
        value = node.value
        # Money is kept as a decimal string in yuan; other tools write a number.
        if kind == "money" and isinstance(value, int | float) and not isinstance(value, bool):
            return repr(value) if isinstance(value, float) else str(value)
        return value
    raise ExpressionProblem(_untranslatable())
