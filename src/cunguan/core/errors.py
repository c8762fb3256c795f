"""Errors: operating errors are named results, bugs are invariant violations."""

from typing import TypeVar

_T = TypeVar("_T")


class InvariantViolation(Exception):
    """An impossible state was reached: a bug, never bad input. Not stripped by ``python -O``."""


def invariant(condition: bool, message: str) -> None:
    if not condition:
        raise InvariantViolation(message)


def present(value: _T | None, message: str) -> _T:
    """``value``, which cannot be None here (else a bug: ``InvariantViolation``); unlike a bare
    ``assert``, kept under ``python -O``."""
    if value is None:
        raise InvariantViolation(message)
    return value


class RuleError(ValueError):
    """A pure rule refused its input; ``code`` names why (listed in docs/ERRORS.md)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class CunguanError(Exception):
    """Bad input or an operating condition, with a stable machine-readable code."""

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details
