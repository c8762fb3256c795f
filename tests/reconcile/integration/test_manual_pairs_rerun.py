"""R-B2 hand pairs (人工勾对) when a day is matched again on changed inputs, and the camt
return reason they are often paired on (a fresh-eyes review, 2026-12-07): a pair is made
again whole or dropped whole, never kept on an item the run decided, and a key given twice is
refused by name."""

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, Table, select

from cunguan.core.fields import FieldInvalid
from cunguan.ledger.model import Transfer
from cunguan.reconcile.formats import read_statement
from cunguan.reconcile.rules import manual_pairs as pair_rules
from cunguan.reconcile.rules.matching import MatchPolicy
from cunguan.reconcile.rules.statements import Direction, LineStatus
from cunguan.reconcile.store.tables import reconcile_breaks, reconcile_in_transit, reconcile_matches
from tests.helpers import DAY, SUMMARY, TENANT
from tests.reconcile.integration.helpers import BANK_ACCOUNT, OPERATOR, line, statement, world
from tests.reconcile.unit.formats_helpers import sample

IN = Direction.CREDIT


def test_r_b2_a_return_reason_is_rsns_even_after_an_originators_scheme_code() -> None:
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
def test_r_b2_a_group_ids_cited_break_is_read_back_whatever_the_key_holds(
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


def test_r_b2_a_pair_one_of_whose_items_the_run_matches_is_dropped_whole(engine: Engine) -> None:
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


def test_r_b2_a_pair_whose_carried_item_the_run_puts_in_a_break_is_dropped(engine: Engine) -> None:
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


def test_r_b2_a_key_given_twice_is_a_named_refusal(engine: Engine) -> None:
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
