"""Impossible states raise ``InvariantViolation`` (core/errors.py), never through a bare
``assert``, which ``python -O`` strips: an optimised server would then carry on past a bug."""

import ast
from pathlib import Path

import pytest

from cunguan.core.errors import InvariantViolation, invariant, present

SRC = Path(__file__).resolve().parents[2] / "src" / "cunguan"


def test_no_module_of_the_project_uses_a_bare_assert() -> None:
    found = [f"{path.relative_to(SRC)}:{node.lineno}"
             for path in sorted(SRC.rglob("*.py"))
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Assert)]
    assert found == []


def test_invariant_and_present_raise_on_an_impossible_state() -> None:
    with pytest.raises(InvariantViolation, match="bug"):
        invariant(False, "bug")
    with pytest.raises(InvariantViolation, match="gone"):
        present(None, "gone")
    assert present(0, "zero is a value") == 0
