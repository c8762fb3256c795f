"""Pure parts of the API edge: callback back-off and the signature scheme."""

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cunguan.core import limits, signing
from cunguan.custody.rules.callbacks import next_attempt, retry_delay_s

T0 = datetime(2026, 11, 23, tzinfo=UTC)


@given(st.integers(1, 200), st.integers(0, 2**32))
def test_r_c21_retry_delay_doubles_to_the_cap_with_jitter(attempts: int, seed: int) -> None:
    ceiling = min(limits.callback_retry_cap_s, limits.callback_retry_base_s * 2 ** (attempts - 1))
    delay = retry_delay_s(attempts, random.Random(seed))
    assert ceiling / 2 <= delay <= ceiling


@given(st.integers(0, limits.callback_give_up_after_s + 10_000), st.integers(1, 200),
       st.integers(0, 2**32))
def test_r_c21_no_retry_is_scheduled_past_the_give_up_period(elapsed_s: int, attempts: int,
                                                             seed: int) -> None:
    now = T0 + timedelta(seconds=elapsed_s)
    due = next_attempt(T0, now, attempts, random.Random(seed))
    if due is None:
        assert elapsed_s + retry_delay_s(attempts, random.Random(seed)) > \
            limits.callback_give_up_after_s
    else:
        assert now < due <= T0 + timedelta(seconds=limits.callback_give_up_after_s)


def test_r_c21_hmac_worked_example_from_docs() -> None:
    """The worked example in docs/API.md, byte for byte (checked with `openssl dgst`)."""
    body = b'{"request_no":"rp-1","user_id":"u0001","amount_fen":500}'
    text = signing.canonical_text(signing.HMAC_SHA256, "post", "/v1/red-packets",
                                  1795399200, "5f2b9c1e8a7d4c3b", body)
    assert text.decode() == (
        "HMAC-SHA256\nPOST\n/v1/red-packets\n1795399200\n5f2b9c1e8a7d4c3b\n"
        "85cf78931fb1e795166a324b6767b48ab890daa472aec1d1f207a3fbfd61fd37")
    assert signing.sign(text, signing.HMAC_SHA256, "demo-secret") == (  # openssl agrees
        "NDuD8hrjAx3l7oUu3AQsXRzR7bv28TFLUkQhEtr5eIg=")


@given(st.binary(max_size=200), st.integers(0, 199))
def test_r_c21_one_changed_byte_breaks_an_sm2_or_hmac_signature(body: bytes, at: int) -> None:
    text = signing.canonical_text(signing.HMAC_SHA256, "POST", "/v1/x", 1, "abcdefgh", body)
    mac = signing.sign(text, signing.HMAC_SHA256, "k")
    changed = bytearray(text)
    changed[at % len(changed)] ^= 0x01
    assert signing.verify(text, signing.HMAC_SHA256, "k", mac)
    assert not signing.verify(bytes(changed), signing.HMAC_SHA256, "k", mac)


def test_r_c21_sm2_signature_verifies_only_with_its_key_and_text() -> None:
    private, public = signing.sm2_keypair()
    _, other_public = signing.sm2_keypair()
    text = b"HMAC-SHA256\nPOST\n/v1/x\n1\nabcdefgh\n00"
    signature = signing.sign(text, signing.SM2_SM3, private)
    assert signing.verify(text, signing.SM2_SM3, public, signature)
    assert not signing.verify(text + b"0", signing.SM2_SM3, public, signature)
    assert not signing.verify(text, signing.SM2_SM3, other_public, signature)
    assert not signing.verify(text, signing.SM2_SM3, public, "zz" * 64)
