"""The one error tree: errors.py's docstring draws every class it defines, with its real parent."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import judgebench
from judgebench import errors

PACKAGE = Path(judgebench.__file__).resolve().parent

# Exceptions that never reach the user: control flow inside one module, or a provider's signal to the retry loop.
INTERNAL = {
    "MalformedResponseError",
    "NotAnApiReplyError",
    "RemoteCallError",  # a call process's failure, as the retry loop reads it (providers/call_process.py)
    "CallFailed",
    "TransientFakeError",
    "_BudgetStop",
}


def _drawn_tree() -> dict[str, str | None]:
    """Each class name of the docstring's tree -> its parent's name (None for the root)."""
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in (errors.__doc__ or "").splitlines():
        m = re.match(r"^ {4}([│ ]*(?:[├└]── )?)([A-Z][A-Za-z]+)\b", line)
        if not m:
            continue
        depth = len(m.group(1)) // 4
        del stack[depth:]
        parents[m.group(2)] = stack[-1] if stack else None
        stack.append(m.group(2))
    return parents


def test_the_docstring_draws_every_error_class_under_its_real_parent() -> None:
    classes = {
        name: cls
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, Exception) and cls.__module__ == errors.__name__
    }
    real = {
        name: next((b.__name__ for b in cls.__bases__ if issubclass(b, errors.JudgebenchError)), None)
        for name, cls in classes.items()
    }
    assert _drawn_tree() == real
    assert len(real) == 18  # 15 before issue 15, plus RecordError, ArenaError, Interrupted
    assert sorted(errors.__all__) == sorted(real)


def test_errors_that_joined_the_tree_behave_as_before() -> None:
    assert errors.Interrupted("x").exit_code == 130
    assert isinstance(errors.RecordError("field 'x'"), ValueError)
    refused = errors.ArenaError(409, "vote first")
    assert (refused.status, refused.message, str(refused), refused.exit_code) == (409, "vote first", "vote first", 1)


def test_no_error_class_lives_outside_the_tree() -> None:
    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and b.id in {"Exception", "RuntimeError", "ValueError", "BaseException"}
                for b in node.bases
            ):
                outside.append(node.name)
    assert sorted(set(outside) - INTERNAL) == ["JudgebenchError", "RecordError"]  # the root, and RecordError's 2nd base
