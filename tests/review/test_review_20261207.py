"""A fresh-eyes review of beb4b35..5db4630 (SM2 keys, returns never returned again, camt return
reasons, hand pairs made again). Four defects it found were written here as strict xfails
first, then fixed: a stored 04-prefixed key that verified nothing, a signature of another type
that raised, a hand pair kept though the run put its carried item in a break, and a key given
twice that broke the insert. The other tests prove properties the changes claim."""

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, Table, select

from cunguan.clearing.rules.exceptions import ItemState
from cunguan.clearing.rules.packages import item_id, return_id
from cunguan.clearing.rules.participant_bank import SUSPENSE_ACCOUNT, bank_tenant
from cunguan.clearing.rules.refusals import Refusal as ClearingRefusal
from cunguan.core import limits, signing
from cunguan.core.clock import CST, FixedClock
from cunguan.core.fields import FieldInvalid
from cunguan.ledger.model import AccountStatus, Transfer
from cunguan.platform.access import AccessError, AccessService, SignedRequest
from cunguan.platform.store import credentials as credential_store
from cunguan.platform.store.tables import api_credentials
from cunguan.reconcile.formats import read_statement
from cunguan.reconcile.rules import manual_pairs as pair_rules
from cunguan.reconcile.rules.matching import MatchPolicy
from cunguan.reconcile.rules.statements import Direction, LineStatus
from cunguan.reconcile.store.tables import reconcile_breaks, reconcile_in_transit, reconcile_matches
from tests.clearing.integration.helpers import CCB, ICBC
from tests.clearing.integration.test_participant_bank import account, banks, code, send
from tests.helpers import DAY, SUMMARY, TENANT
from tests.reconcile.integration.helpers import BANK_ACCOUNT, OPERATOR, line, statement, world
from tests.reconcile.unit.formats_helpers import sample

IN = Direction.CREDIT
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
TEXT = b"SM2-SM3\nPOST\n/v1/x\n1795399200\n5f2b9c1e8a7d4c3b\n00"
#: Private key 3's public key begins "a9": gmssl's old lstrip("04") left it whole, so a row
#: holding it after the uncompressed point's 04 verified before these commits.
PRIVATE_3 = f"{3:064x}"
#: Private key 11's public key itself begins "04".
PRIVATE_11 = f"{11:064x}"


# -- SM2 keys ----------------------------------------------------------------------------------


def _signed_request(key_id: str, private: str, now: datetime) -> SignedRequest:
    body = b'{"a": 1}'
    signed = signing.sign_request(key_id, signing.SM2_SM3, private, "POST", "/v1/x", body,
                                  int(now.timestamp()))
    return SignedRequest(key_id, signed.algorithm, str(signed.timestamp), signed.nonce,
                         signed.signature, "POST", "/v1/x", body)


def _stored_keys(engine: Engine) -> list[str | None]:
    with engine.connect() as conn:
        return list(conn.execute(select(api_credentials.c.sm2_public_key)).scalars())


def test_a_stored_04_prefixed_key_of_before_the_check_still_verifies(engine: Engine) -> None:
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
def test_a_signature_of_another_type_verifies_false(signature: object) -> None:
    public = signing.sm2_public_key_of(PRIVATE_11)
    assert signing.verify(TEXT, signing.SM2_SM3, public, signature) is False


def test_every_accepted_form_of_a_key_is_the_key_and_verifies_its_signatures() -> None:
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
def test_any_public_key_is_taken_in_every_form_as_its_128_lowercase_digits(d: int) -> None:
    public = signing.sm2_public_key_of(f"{d:064x}")
    for given_form in ("04" + public.upper(), public.upper(), "04" + public):
        assert signing.sm2_public_key(given_form) == public


def test_issue_stores_the_key_as_128_lowercase_digits_and_refuses_hostile_ones(
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


def test_a_request_that_verifies_against_the_stand_in_key_is_still_refused(
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


# -- clearing: a return is never returned again --------------------------------------------------


def test_the_longest_items_return_id_fits_the_column() -> None:
    longest = item_id("9" * limits.clearing_bank_code_digits,
                      "M" * limits.clearing_message_id_length_max,
                      limits.clearing_items_per_package_max)
    assert len(return_id(longest)) <= limits.clearing_item_id_length_max
    assert return_id(longest) == longest + ":R"


def test_a_suspended_return_is_refused_a_return_by_either_bank_and_moves_nothing(
        engine: Engine) -> None:
    service = banks(engine)
    service.ledger.set_account_status(bank_tenant(CCB), "D1", AccountStatus.FROZEN)
    send(service, "S1", 10_000)
    service.send_outward(ICBC)
    [original] = service.take_inward(CCB)["returned"]
    service.ledger.set_account_status(bank_tenant(ICBC), "C1", AccountStatus.FROZEN)
    assert service.take_inward(ICBC)["suspended"] == [return_id(original)]
    for bank in (ICBC, CCB):
        assert code(lambda b=bank: service.return_item(return_id(original), b)) == \
            ClearingRefusal.RETURN_NOT_RETURNABLE
        assert code(lambda b=bank: service.return_item(original, b)) == \
            ClearingRefusal.ITEM_STATE_INVALID              # returned once already
    assert service.item_state(original) == ItemState.RETURNED.value
    assert account(service, ICBC, SUSPENSE_ACCOUNT)[0] == 10_000
    assert service.take_inward(ICBC) == {"credited": [], "returned": [], "suspended": []}


# -- camt: a return's reason ---------------------------------------------------------------------


def test_a_return_reason_is_rsns_even_after_an_originators_scheme_code() -> None:
    """Orgtr/Id/OrgId/Othr/SchmeNm/Cd comes before Rsn in RtrInf: the reason is Rsn's."""
    data = sample("camt053_20261207.xml")
    old = b"<Rsn><Cd>AC04</Cd></Rsn>"
    new = (b"<Orgtr><Id><OrgId><Othr><Id>X1</Id><SchmeNm><Cd>BANK</Cd></SchmeNm></Othr>"
           b"</OrgId></Id></Orgtr><Rsn><Prtry>R01</Prtry></Rsn>")
    assert old in data
    returned = read_statement(data.replace(old, new, 1), "camt.053").lines[3]
    assert (returned.status, returned.description) == (LineStatus.RETURNED, "R01 / 账户已销户")


# -- reconcile: hand pairs made again ------------------------------------------------------------


@given(st.one_of(st.none(), st.integers(1, 2**63 - 1)),
       st.text(min_size=1, max_size=80))
def test_a_group_ids_cited_break_is_read_back_whatever_the_key_holds(
        cited: int | None, key: str) -> None:
    assert pair_rules.cited_break(pair_rules.group_id(cited, key)) == cited


def _rows(engine: Engine, table: Table) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return {(r.side, r.item_key) for r in conn.execute(select(table))}


def _open(engine: Engine) -> set[tuple[str, str]]:
    t = reconcile_in_transit.c
    with engine.connect() as conn:
        return {(r.side, r.item_key) for r in conn.execute(
            select(t.side, t.item_key).where(t.arrived_on.is_(None)))}


def test_a_pair_one_of_whose_items_the_run_matches_is_dropped_whole(engine: Engine) -> None:
    """Bank 17,000 paired by hand with books 10,000 + 7,000; a late line matches the 7,000 by
    its reference: the pair is dropped and nothing of it stays (no partial pair)."""
    w = world(engine)
    strict = MatchPolicy(date_tolerance_days=0)
    w.ledger.execute(TENANT, [Transfer("R1", SUMMARY, "U1", 10_000, "recharge"),
                              Transfer("R2", SUMMARY, "U2", 7_000, "recharge")])
    lump = replace(line(1, IN, 17_000, ref="ZZ"), value_date=DAY + timedelta(days=1))
    w.recon.import_statement(statement("ST1", 0, [lump]), file_sha256="a" * 64,
                             operator=OPERATOR)
    first = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR, policy=strict)
    assert first.in_transit == 3
    paired = w.recon.pair_in_transit(BANK_ACCOUNT, DAY, bank_keys=["S1L1"],
                                     book_keys=["P1/SUMMARY/1", "P1/SUMMARY/2"],
                                     operator=OPERATOR)
    assert _open(engine) == set()
    w.recon.import_statement(statement("ST2", 17_000, [line(2, IN, 7_000, ref="R2")]),
                             file_sha256="b" * 64, operator=OPERATOR)
    again = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR, policy=strict)
    assert (again.pairs_kept, again.pairs_dropped) == ((), (paired["group_id"],))
    assert _open(engine) == {("bank", "S1L1"), ("book", "P1/SUMMARY/1")}
    with engine.connect() as conn:
        manual = conn.execute(select(reconcile_matches).where(
            reconcile_matches.c.rule == "manual")).all()
    assert manual == []


def test_a_pair_whose_carried_item_the_run_puts_in_a_break_is_dropped(engine: Engine) -> None:
    w = world(engine)
    strict = MatchPolicy(date_tolerance_days=0)
    day2 = DAY + timedelta(days=1)
    w.ledger.execute(TENANT, [Transfer("R1", SUMMARY, "U1", 10_000, "recharge")])
    w.recon.import_statement(statement("ST0", 0, []), file_sha256="0" * 64, operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR, policy=strict)   # R1 carried
    w.recon.import_statement(statement("ST1", 0, [line(1, IN, 10_000, ref="ZZ", day=day2)],
                                       day=day2), file_sha256="a" * 64, operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, day2, operator=OPERATOR, policy=strict)
    paired = w.recon.pair_in_transit(BANK_ACCOUNT, day2, bank_keys=["S2L1"],
                                     book_keys=["P1/SUMMARY/1"], operator=OPERATOR)
    late = line(2, IN, 9_990, ref="R1", day=day2)     # R1's own reference, 0.10 short
    w.recon.import_statement(statement("ST2", 10_000, [late], day=day2), file_sha256="b" * 64,
                             operator=OPERATOR)
    again = w.recon.match_day(BANK_ACCOUNT, day2, operator=OPERATOR, policy=strict)
    with engine.connect() as conn:
        broken = conn.execute(select(reconcile_breaks.c.break_class, reconcile_breaks.c.item_keys)
                              ).all()
    assert [tuple(b) for b in broken] == [("amount_mismatch", "bank:S3L2,book:P1/SUMMARY/1")]
    assert again.in_transit == 1                       # the run's own view: S2L1 alone
    # R1 is in an open break of this run: it cannot also be paired by hand
    assert again.pairs_dropped == (paired["group_id"],)
    assert ("book", "P1/SUMMARY/1") not in _rows(engine, reconcile_matches)


def test_a_key_given_twice_is_a_named_refusal(engine: Engine) -> None:
    w = world(engine)
    strict = MatchPolicy(date_tolerance_days=0)
    w.ledger.execute(TENANT, [Transfer("R1", SUMMARY, "U1", 20_000, "recharge")])
    late = replace(line(1, IN, 10_000, ref="ZZ"), value_date=DAY + timedelta(days=1))
    w.recon.import_statement(statement("ST1", 0, [late]), file_sha256="a" * 64,
                             operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR, policy=strict)
    with pytest.raises(FieldInvalid) as refused:
        w.recon.pair_in_transit(BANK_ACCOUNT, DAY, bank_keys=["S1L1", "S1L1"],
                                book_keys=["P1/SUMMARY/1"], operator=OPERATOR)
    assert refused.value.details["field"] == "bank_keys"
    assert ("bank", "S1L1") not in _rows(engine, reconcile_matches)


def test_a_row_holding_the_generator_or_an_off_curve_key_verifies_nothing(
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
def test_an_hmac_signature_not_ascii_text_verifies_false(signature: object) -> None:
    assert signing.verify(TEXT, signing.HMAC_SHA256, "secret", signature) is False  # type: ignore[arg-type]
