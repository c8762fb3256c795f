"""Reading a camt file two ways, for the tests that compare the readers: the reader before
(``camt_before.py``, kept verbatim as the oracle) and the product's, with the chunked read
forced on files of any size."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import strategies as st

from cunguan.reconcile.formats import camt, camt_chunks, common

from . import camt_before


def outcome(read: Callable[[], Any]) -> tuple[Any, ...]:
    """("read", the statement) or ("refused", the error's type, code, text and details)."""
    try:
        return ("read", read())
    except Exception as error:
        return ("refused", type(error).__name__, getattr(error, "code", None), str(error),
                getattr(error, "details", None))


def read_before(data: bytes, message: str) -> tuple[Any, ...]:
    """The outcome of ``read_statement``'s front, then the reader before."""
    reader = {"camt.053": camt_before.read_camt053, "camt.054": camt_before.read_camt054}

    def read() -> Any:
        common.check_size(data)
        return reader[message](data, None)
    return outcome(read)


@contextmanager
def chunked(chunk_bytes: int) -> Iterator[list[str]]:
    """Every file large enough to be cut, in chunks of about ``chunk_bytes``; yields the
    list the tree reader's use is noted in (``["tree"]``, or ``[]`` when cut)."""
    used: list[str] = []
    stream = camt._stream

    def noted(*args: Any) -> Any:
        used.append("tree")
        return stream(*args)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(camt_chunks, "CHUNKED_BYTES_MIN", 0)
        patch.setattr(camt_chunks, "CHUNK_BYTES", chunk_bytes)
        patch.setattr(camt, "_stream", noted)
        yield used


def damaged(draw: Any, data: bytes) -> bytes:
    """``data`` as it is, cut short, with a byte changed, or with up to 40 bytes taken out."""
    cut = draw(st.sampled_from(["none", "truncate", "byte", "delete"]))
    at = draw(st.integers(0, len(data) - 1))
    if cut == "truncate":
        return data[:at]
    if cut == "byte":
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    if cut == "delete":
        return data[:at] + data[at + draw(st.integers(1, 40)):]
    return data
