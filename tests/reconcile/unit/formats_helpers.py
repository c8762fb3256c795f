"""Shared by the statement-format tests: the sample files and a refusal catcher."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cunguan.reconcile.rules.refusals import ReconcileError

DATA = Path(__file__).resolve().parents[1] / "data"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def refused(call: Callable[[], Any], code: str) -> ReconcileError:
    """The refusal ``call`` raises, checked to carry ``code``."""
    with pytest.raises(ReconcileError) as caught:
        call()
    assert caught.value.code == code, caught.value
    return caught.value
