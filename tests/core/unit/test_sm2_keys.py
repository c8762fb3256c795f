"""SM2 keys and signatures at their edges: keys gmssl misreads, points that are not keys, and
signatures built to reach the point at infinity. Every one is a named refusal or a plain
``False``, never an exception from inside gmssl."""

import pytest
from gmssl import sm2
from hypothesis import given, settings
from hypothesis import strategies as st

from cunguan.core import signing
from cunguan.core.fields import FieldInvalid

TEXT = b"SM2-SM3\nPOST\n/v1/red-packets\n1795399200\n5f2b9c1e8a7d4c3b\n00"
N = int(sm2.default_ecc_table["n"], 16)
#: Private key 11's public key begins 04, which gmssl's CryptSM2 strips (``lstrip("04")``
#: takes every leading 0 and 4): one key in 256 was misread, signing and verifying wrongly.
PRIVATE_04 = f"{11:064x}"
PUBLIC_04 = ("04b3cb10c9c6d8e27c1aab770f67f543125dcdd589c2ff82668c74d78ce20ace63"
             "516355287e39fe4918e5c02e2b0b930c94816e63c4bc72739a8fd805174a4b")
#: Private key 6's public key begins with a 0, and also with 09.
PRIVATE_0 = f"{6:064x}"


def _public(private: str) -> str:
    return signing.sm2_public_key_of(private)


def test_r_c21_a_public_key_beginning_04_signs_and_verifies() -> None:
    assert _public(PRIVATE_04) == PUBLIC_04
    for private in (PRIVATE_04, PRIVATE_0):
        signature = signing.sign(TEXT, signing.SM2_SM3, private)
        assert signing.verify(TEXT, signing.SM2_SM3, _public(private), signature)
        assert not signing.verify(TEXT + b"!", signing.SM2_SM3, _public(private), signature)


def test_r_c21_a_registered_key_is_a_point_of_the_curve() -> None:
    assert signing.sm2_public_key(PUBLIC_04) == PUBLIC_04
    assert signing.sm2_public_key("04" + PUBLIC_04.upper()) == PUBLIC_04   # OpenSSL's form
    y = int(PUBLIC_04[64:], 16)
    off_curve = PUBLIC_04[:64] + f"{(y + 1) % 2**256:064x}"
    p = int(sm2.default_ecc_table["p"], 16)
    beyond_p = f"{p:064x}" + PUBLIC_04[64:]
    for bad in (off_curve, beyond_p, "0" * 128, signing.SM2_STAND_IN_PUBLIC_KEY,
                PUBLIC_04[:-1], PUBLIC_04 + "0", "05" + PUBLIC_04, "0x" + PUBLIC_04[2:],
                PUBLIC_04[:10] + "\u0663" + PUBLIC_04[11:], PUBLIC_04[:10] + "\0" + PUBLIC_04[11:],
                PUBLIC_04[:-1] + "\n", " " + PUBLIC_04, "", None, True, 7, PUBLIC_04.encode(),
                ["04", PUBLIC_04]):
        with pytest.raises(FieldInvalid) as refused:
            signing.sm2_public_key(bad)
        assert refused.value.details["field"] == "sm2_public_key"


def test_r_c21_a_private_key_is_64_hex_digits_in_range() -> None:
    for bad in ("0" * 64, f"{N:064x}", f"{N - 1:064x}", "zz" * 32, "1" * 63, "", None, 11,
                "\u0661" * 64):
        with pytest.raises(FieldInvalid):
            signing.sign(TEXT, signing.SM2_SM3, bad)        # type: ignore[arg-type]


def _hostile_signatures() -> list[str]:
    r_for_infinity = (-2 * 5) % N          # with the generator as key, 5G + (r + 5)G = O
    return [f"{r_for_infinity:064x}{5:064x}", f"{0:064x}{5:064x}", f"{5:064x}{0:064x}",
            f"{N:064x}{5:064x}", f"{5:064x}{N:064x}", f"{N - 5:064x}{5:064x}", "f" * 128,
            "0" * 128, "F" * 128, "+" * 128]


@pytest.mark.parametrize("signature", _hostile_signatures())
def test_r_c21_a_signature_built_to_reach_infinity_is_refused(signature: str) -> None:
    for key in (signing.SM2_STAND_IN_PUBLIC_KEY, PUBLIC_04):
        assert signing.verify(TEXT, signing.SM2_SM3, key, signature) is False


@given(st.integers(0, 2**256 - 1), st.integers(0, 2**256 - 1))
def test_r_c21_any_signature_verifies_or_not_and_never_raises(r: int, s: int) -> None:
    for key in (signing.SM2_STAND_IN_PUBLIC_KEY, PUBLIC_04):
        assert signing.verify(TEXT, signing.SM2_SM3, key, f"{r:064x}{s:064x}") is False


def test_r_c21_a_stored_key_that_is_not_a_key_verifies_nothing() -> None:
    signature = signing.sign(TEXT, signing.SM2_SM3, PRIVATE_04)
    for stored in ("zz" * 64, PUBLIC_04[:100], "0" * 128, PUBLIC_04[:-2] + "00"):
        assert signing.verify(TEXT, signing.SM2_SM3, stored, signature) is False


@settings(max_examples=60, deadline=None)
@given(st.integers(2, N - 2), st.binary(max_size=64))   # 1 is the generator
def test_r_c21_every_private_key_signs_what_its_public_key_verifies(d: int,
                                                                    text: bytes) -> None:
    private = f"{d:064x}"
    public = signing.sm2_public_key_of(private)
    assert signing.sm2_public_key(public) == public
    signature = signing.sign(text, signing.SM2_SM3, private)
    assert signing.verify(text, signing.SM2_SM3, public, signature)
    assert not signing.verify(text + b"\0", signing.SM2_SM3, public, signature)
