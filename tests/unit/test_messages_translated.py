"""No untranslated message slips into riskctl: every message a service or the API raises
to a reader is a lazy translation (``_l("no item %(id)s", id=item_id)``), so that the
caller reads it in its language while the code stays the same (riskctl.core.errors).

The check reads riskctl's source and refuses a plain string literal (or an f-string) as
the message of
- an error a reader sees: ``DomainError`` and its kinds, ``InputProblem``, marshmallow's
  ``ValidationError``, ``files.content.Refused`` — ``raise NotFound("no item …")``;
- ``ValidationFailed.at(path, "…")``;
- a problem: ``{"path": …, "message": "…"}``, ``Problem(path, "…")``,
  ``problems.add(path, "…")``, ``reader.problem(path, "…")``.
Process definitions are checked by their own module (``process/definition.py`` and
``process/validation.py`` have their own conversion), and so are left out here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "riskctl"
LEFT_OUT = {ROOT / "process" / "definition.py", ROOT / "process" / "validation.py"}
READER_ERRORS = {"DomainError", "InputProblem", "ValidationError", "Refused"}


def _sources() -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text(encoding="utf-8"), str(path))
        for path in sorted(ROOT.rglob("*.py"))
        if path not in LEFT_OUT
    }


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _reader_errors(trees: dict[Path, ast.Module]) -> set[str]:
    """The reader's error classes by name: the known ones and every class made from them."""
    known, grown = set(READER_ERRORS), True
    while grown:
        grown = False
        for tree in trees.values():
            for node in ast.walk(tree):
                made_from_known = isinstance(node, ast.ClassDef) and any(
                    _name(base) in known for base in node.bases
                )
                if made_from_known and node.name not in known:
                    known.add(node.name)
                    grown = True
    return known


def _is_literal(node: ast.expr | None) -> bool:
    """A string written in place: "…", f"…", "…".format(…), "…" % …."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _is_literal(node.func.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _is_literal(node.left)
    return False


def _untranslated(tree: ast.Module, errors: set[str]) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            call = node.exc
            if _name(call.func) in errors and call.args and _is_literal(call.args[0]):
                yield node.lineno, f"raise {_name(call.func)}(…)"
        if isinstance(node, ast.Call):
            func, args = node.func, node.args
            literal = len(args) == 2 and _is_literal(args[1])
            owner = _name(func.value) if isinstance(func, ast.Attribute) else None
            method = func.attr if isinstance(func, ast.Attribute) else None
            if literal and method == "at" and owner in errors:
                yield node.lineno, f"{owner}.at(path, …)"
            if literal and _name(func) == "Problem":
                yield node.lineno, "Problem(path, …)"
            if literal and method == "add":
                yield node.lineno, "problems.add(path, …)"
            if literal and method == "problem":
                yield node.lineno, "reader.problem(path, …)"
        if isinstance(node, ast.Dict):
            keys = {k.value: v for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant)}  # fmt: skip
            if "path" in keys and _is_literal(keys.get("message")):
                yield node.lineno, '{"path": …, "message": …}'


def test_no_message_is_a_plain_string() -> None:
    trees = _sources()
    errors = _reader_errors(trees)
    found = [
        f"  riskctl/{path.relative_to(ROOT)}:{line}: {what}"
        for path, tree in trees.items()
        for line, what in _untranslated(tree, errors)
    ]
    assert not found, (
        "messages a reader sees are lazy translations — _l('no item %(id)s', id=…) — "
        "with their Chinese in the catalogue:\n" + "\n".join(found)
    )


def test_the_check_finds_what_it_looks_for() -> None:
    source = ast.parse(
        "raise NotFound(f'no item {x}', code='unknown_item')\n"
        "raise ValidationFailed.at('title', 'give the item a title')\n"
        "problems.add('rules', 'unknown rule')\n"
        "problems.append({'path': 'unit', 'message': 'no unit'})\n"
        "raise NotFound(_l('no item %(id)s', id=x), code='unknown_item')\n"
        "raise ValueError('a programming error, for the log')\n"
        "seen.add(key)\n"
    )
    found = [line for line, _ in _untranslated(source, {"NotFound", "ValidationFailed"})]
    assert found == [1, 2, 3, 4]
