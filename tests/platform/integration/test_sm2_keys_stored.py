"""SM2 keys as stored and verified: every accepted form of a key is the key, a row written
before keys were checked (04-prefixed, off the curve, the generator) verifies what it should
and nothing else, and a hostile signature of any type is a plain False. Written in a
fresh-eyes review (2026-12-07); its four defects were strict xfails here, then fixed."""

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from cunguan.core import signing
from cunguan.core.clock import CST, FixedClock
from cunguan.core.fields import FieldInvalid
from cunguan.platform.access import AccessError, AccessService, SignedRequest
from cunguan.platform.store import credentials as credential_store
from cunguan.platform.store.tables import api_credentials
from cunguan.reconcile.rules.statements import Direction

IN = Direction.CREDIT
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
TEXT = b"SM2-SM3\nPOST\n/v1/x\n1795399200\n5f2b9c1e8a7d4c3b\n00"
#: Private key 3's public key begins "a9": gmssl's old lstrip("04") left it whole, so a row
#: holding it after the uncompressed point's 04 verified before these commits.
PRIVATE_3 = f"{3:064x}"
#: Private key 11's public key itself begins "04".
PRIVATE_11 = f"{11:064x}"



def _signed_request(key_id: str, private: str, now: datetime) -> SignedRequest:
    body = b'{"a": 1}'
    signed = signing.sign_request(key_id, signing.SM2_SM3, private, "POST", "/v1/x", body,
                                  int(now.timestamp()))
    return SignedRequest(key_id, signed.algorithm, str(signed.timestamp), signed.nonce,
                         signed.signature, "POST", "/v1/x", body)


def _stored_keys(engine: Engine) -> list[str | None]:
    with engine.connect() as conn:
        return list(conn.execute(select(api_credentials.c.sm2_public_key)).scalars())


def test_r_c21_a_stored_04_prefixed_key_of_before_the_check_still_verifies(engine: Engine) -> None:
    public = signing.sm2_public_key_of(PRIVATE_3)
    assert not public.startswith(("0", "4"))        # the old gmssl read it right
    with engine.begin() as conn:
        credential_store.insert_credential(
            conn, key_id="op_legacy", tenant_id=None, role="operator", secret="s" * 43,
            sm2_public_key="04" + public, created_at=NOW)
    access = AccessService(engine, clock=FixedClock(NOW))
    principal = access.verify(_signed_request("op_legacy", PRIVATE_3, NOW))
    assert principal.key_id == "op_legacy"


@pytest.mark.parametrize("signature", [None, ("a" * 128).encode(), 7, float("nan")])
def test_r_c21_a_signature_of_another_type_verifies_false(signature: object) -> None:
    public = signing.sm2_public_key_of(PRIVATE_11)
    assert signing.verify(TEXT, signing.SM2_SM3, public, signature) is False


def test_r_c21_every_accepted_form_of_a_key_is_the_key_and_verifies_its_signatures() -> None:
    for private in (PRIVATE_3, PRIVATE_11):
        public = signing.sm2_public_key_of(private)
        signature = signing.sign(TEXT, signing.SM2_SM3, private.upper())
        for given_form in (public, public.upper(), "04" + public, "04" + public.upper()):
            assert signing.sm2_public_key(given_form) == public
            assert signing.verify(TEXT, signing.SM2_SM3, signing.sm2_public_key(given_form),
                                  signature.upper())
    key_04 = signing.sm2_public_key_of(PRIVATE_11)
    assert key_04.startswith("04")
    # 128 digits beginning 04 are the key itself; 130 beginning 0404 are 04 + that key
    assert signing.sm2_public_key(key_04) == key_04
    assert signing.sm2_public_key("04" + key_04) == key_04
    for bad in ("0404" + key_04, "4" + key_04, "04" + key_04[:-1], key_04[2:] + "04",
                "０４" + key_04, key_04[:-1] + "\u0663", key_04 + "\0", "04" * 5000,
                2**64, float("nan"), True, b"04" + key_04.encode(), bytearray(128)):
        with pytest.raises(FieldInvalid):
            signing.sm2_public_key(bad)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54121", 16)))
def test_r_c21_any_public_key_is_taken_in_every_form_as_its_128_lowercase_digits(d: int) -> None:
    public = signing.sm2_public_key_of(f"{d:064x}")
    for given_form in ("04" + public.upper(), public.upper(), "04" + public):
        assert signing.sm2_public_key(given_form) == public


def test_r_c21_issue_stores_the_key_as_128_lowercase_digits_and_refuses_hostile_ones(
        engine: Engine) -> None:
    access = AccessService(engine, clock=FixedClock(NOW))
    public = signing.sm2_public_key_of(PRIVATE_11)
    for bad in (public[:-1] + "\0", "04" + public[:-2] + "٣٣", 2**64, float("nan"), True,
                "0404" + public, "f" * 10_000, signing.SM2_STAND_IN_PUBLIC_KEY.upper(),
                "04" + signing.SM2_STAND_IN_PUBLIC_KEY):
        with pytest.raises(FieldInvalid):
            access.issue("operator", sm2_public_key=bad)
    assert _stored_keys(engine) == []
    issued = access.issue("operator", sm2_public_key="04" + public.upper())
    assert _stored_keys(engine) == [public]
    assert access.verify(_signed_request(issued.key_id, PRIVATE_11, NOW)).key_id == \
        issued.key_id


def test_r_c21_a_request_that_verifies_against_the_stand_in_key_is_still_refused(
        engine: Engine) -> None:
    """The stand-in is the generator, whose private key 1 anyone holds: a request signed with
    it verifies against the stand-in, and is refused all the same (no key behind it)."""
    access = AccessService(engine, clock=FixedClock(NOW))
    assert signing.sm2_public_key_of(f"{1:064x}") == signing.SM2_STAND_IN_PUBLIC_KEY
    with pytest.raises(AccessError) as refused:
        access.verify(_signed_request("op_unknown", f"{1:064x}", NOW))
    assert refused.value.code == "signature_invalid"
    issued = access.issue("operator")                         # a live key without SM2
    with pytest.raises(AccessError) as refused:
        access.verify(_signed_request(issued.key_id, f"{1:064x}", NOW))
    assert refused.value.code == "signature_invalid"


def test_r_c21_a_row_holding_the_generator_or_an_off_curve_key_verifies_nothing(
        engine: Engine) -> None:
    """Rows written before keys were checked: the generator's private key is 1, so a request
    signed with it must be refused like any wrong signature."""
    generator_private = f"{1:064x}"
    off_curve = signing.sm2_public_key_of(PRIVATE_3)[:-1] + "0"
    with engine.begin() as conn:
        for key_id, stored in (("op_gen", signing.SM2_STAND_IN_PUBLIC_KEY),
                               ("op_off", off_curve)):
            credential_store.insert_credential(
                conn, key_id=key_id, tenant_id=None, role="operator", secret="s" * 43,
                sm2_public_key=stored, created_at=NOW)
    access = AccessService(engine, clock=FixedClock(NOW))
    for key_id, private in (("op_gen", generator_private), ("op_off", PRIVATE_3)):
        with pytest.raises(AccessError) as refused:
            access.verify(_signed_request(key_id, private, NOW))
        assert refused.value.code == "signature_invalid"


@pytest.mark.parametrize("signature", [None, "é" * 44, b"x", 7])
def test_r_c21_an_hmac_signature_not_ascii_text_verifies_false(signature: object) -> None:
    given: str = signature   # type: ignore[assignment]
    assert signing.verify(TEXT, signing.HMAC_SHA256, "secret", given) is False
