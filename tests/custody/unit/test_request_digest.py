"""R-L5: a request's content hash is what replays are recognised by, so it must never change
for the same request — however it is computed."""

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from cunguan.custody.handlers.base import _canonical, _digest

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8)


def _as_first_recorded(operation: str, content: dict[str, object]) -> int:
    """The definition the request log was first written with."""
    text = json.dumps([operation, content], sort_keys=True, default=str, ensure_ascii=False)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big",
                          signed=True)


@given(operation=st.text(), content=st.dictionaries(st.text(), _values, max_size=5))
def test_r_l5_the_content_hash_is_the_same_from_the_canonical_text(
        operation: str, content: dict[str, object]) -> None:
    expected = _as_first_recorded(operation, content)
    assert _digest(operation, content) == expected
    assert _digest(operation, content, _canonical(content)) == expected
