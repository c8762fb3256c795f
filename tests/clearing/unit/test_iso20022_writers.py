"""R-S10: every message clearing writes is valid against its official XSD — status reports and
receipts (pacs.002) with a reason for every refusal, returns (pacs.004), reversals (pacs.007),
revoke and stop-payment requests (camt.056) and answers (camt.029), statements (camt.053)."""

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from cunguan.clearing.iso20022 import VERSIONS, codes, validate, writer
from cunguan.clearing.iso20022.records import (
    AccountStatement,
    Cancellation,
    GroupStatus,
    Header,
    Original,
    StatementEntry,
    StatusLine,
)
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.core.errors import InvariantViolation
from cunguan.reconcile.formats.camt import read_camt053

NOW = datetime(2026, 12, 7, 16, 5, tzinfo=timezone(timedelta(hours=8)))
ICBC, CCB = "102100099996", "105100000017"
HEADER = Header("MSG-1", NOW, ICBC, CCB)
notes = st.text(alphabet="退回止付撤销冲正 &<>\"'abc", max_size=200)
originals = st.builds(Original, message_id=st.from_regex(r"[A-Za-z0-9]{1,35}", fullmatch=True),
                      message_name=st.sampled_from([VERSIONS["pacs.008"], VERSIONS["pacs.003"]]),
                      end_to_end_id=st.from_regex(r"[A-Za-z0-9_.:-]{1,35}", fullmatch=True),
                      amount_fen=st.integers(0, 5_000_000))


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def _texts(data: bytes, local: str) -> list[str]:
    return [e.text or "" for e in _tree(data).iter() if etree.QName(e).localname == local]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(originals, st.sampled_from(list(codes.TxStatus)),
                          st.none() | st.sampled_from(list(Refusal)), notes), max_size=8),
       st.sampled_from(list(Refusal)))
def test_r_s10_a_status_report_with_any_refusal_is_a_valid_pacs002(
        lines: list[tuple[Original, codes.TxStatus, Refusal | None, str]],
        refusal: Refusal) -> None:
    data = writer.write_status_report(
        HEADER, group=GroupStatus("M1", VERSIONS["pacs.008"], codes.TxStatus.REJECTED, 3,
                                  refusal, "refused whole"),
        lines=[StatusLine(o, s, r, note=n) for o, s, r, n in lines])
    validate(data, VERSIONS["pacs.002"])
    assert _texts(data, "TxSts") == [s.value for _, s, _, _ in lines]


def test_r_s10_each_refusal_is_reported_as_an_iso_code_or_as_its_own_name() -> None:
    for refusal in Refusal:
        kind, code = codes.status_reason(refusal)
        if kind == "Cd":
            assert len(code) == 4 and code.isupper()
        else:
            assert (kind, code) == ("Prtry", refusal.value) and len(code) <= 35
    assert codes.status_reason(Refusal.CAP_EXCEEDED) == ("Cd", "AM04")
    data = writer.write_status_report(HEADER, lines=[
        StatusLine(Original("M1", VERSIONS["pacs.008"], "E1"), codes.TxStatus.REJECTED,
                   Refusal.ITEM_STATE_INVALID)])
    assert _texts(data, "Prtry") == ["item_state_invalid"]


def test_r_s10_receipts_without_an_instructing_agent_are_valid() -> None:
    header = Header("RCPT", NOW, "", CCB)
    data = writer.write_status_report(header, lines=[StatusLine(
        Original("M1", VERSIONS["pacs.003"], "E1", 1_000), codes.TxStatus.REJECTED,
        proprietary_reason=codes.RECEIPT_REFUSED)])
    validate(data, VERSIONS["pacs.002"])
    assert _texts(data, "MmbId") == [CCB]


@settings(max_examples=25, deadline=None)
@given(st.lists(originals, min_size=1, max_size=6))
def test_r_s10_returns_and_reversals_are_valid_pacs004_and_pacs007(
        items: list[Original]) -> None:
    returned = writer.write_return(HEADER, items)
    validate(returned, VERSIONS["pacs.004"])
    assert _texts(returned, "Cd").count(codes.RETURN_REASON) == len(items)
    reversed_ = writer.write_reversal(HEADER, items)
    validate(reversed_, VERSIONS["pacs.007"])
    assert _texts(reversed_, "OrgnlEndToEndId") == [i.end_to_end_id for i in items]
    assert _texts(reversed_, "CtrlSum") == [f"{sum(i.amount_fen for i in items) / 100:.2f}"]


@pytest.mark.parametrize(("kind", "whole"), [(codes.REVOKE, True), (codes.STOP_PAYMENT, False)])
def test_r_s10_revoke_and_stop_payment_travel_as_paired_camt056_and_camt029(
        kind: str, whole: bool) -> None:
    items = [Original("M1", VERSIONS["pacs.003"], f"E{n}", 1_000 * n) for n in (1, 2)]
    request = Cancellation("CASE-1", kind, items, whole_package=whole)
    asked = writer.write_cancellation_request(HEADER, request)
    validate(asked, VERSIONS["camt.056"])
    assert _texts(asked, "Prtry").count(kind) == len(items) + (1 if whole else 0)
    answer_header = Header("ANS-1", NOW, CCB, ICBC)
    for accepted, status in ((True, "ACCR"), (False, "RJCR")):
        answer = writer.write_cancellation_answer(answer_header, request, accepted=accepted,
                                                  reason="" if accepted else "TOO_LATE")
        validate(answer, VERSIONS["camt.029"])
        assert _texts(answer, "TxCxlSts") == [status, status]
        assert "CASE-1" in _texts(answer, "Id")


def _statement(entries: list[StatementEntry], opening: int) -> AccountStatement:
    moved = sum(e.amount_fen if e.credit else -e.amount_fen for e in entries)
    return AccountStatement("STMT-1", f"SA{ICBC}", "工商银行 <ICBC>", date(2026, 12, 7),
                            date(2026, 12, 7), opening, opening + moved, entries)


entries = st.lists(st.builds(StatementEntry, amount_fen=st.integers(1, 10**12),
                             credit=st.booleans(), booking_date=st.just(date(2026, 12, 7)),
                             reference=st.from_regex(r"[0-9]{1,10}-[0-9]{1,10}", fullmatch=True),
                             kind=st.sampled_from(["clearing_funding", "clearing_settlement"]),
                             description=notes), max_size=10,
                   unique_by=lambda entry: entry.reference)   # as the ledger's refs are


@settings(max_examples=30, deadline=None)
@given(entries, st.integers(-10**12, 10**12))
def test_r_s10_a_statement_is_a_valid_camt053_that_reconciliation_reads_back(
        moves: list[StatementEntry], opening: int) -> None:
    statement = _statement(moves, opening)
    data = writer.write_statement(Header("S-1", NOW, "", ICBC), statement)
    validate(data, VERSIONS["camt.053"])
    read = read_camt053(data, None)
    assert (read.opening_balance_fen, read.closing_balance_fen) == (
        statement.opening_fen, statement.closing_fen)
    assert [line.amount_fen for line in read.lines] == [e.amount_fen for e in moves]


def test_r_s10_a_statement_whose_entries_do_not_add_up_is_never_written() -> None:
    statement = _statement([StatementEntry(500, True, date(2026, 12, 7), "1-1", "x")], 0)
    broken = AccountStatement(statement.statement_id, statement.account_no,
                              statement.owner_name, statement.date_from, statement.date_to,
                              statement.opening_fen, statement.closing_fen + 1,
                              statement.entries)
    with pytest.raises(InvariantViolation):
        writer.write_statement(HEADER, broken)


def test_r_s10_validate_refuses_a_message_against_another_schema() -> None:
    data = writer.write_return(HEADER, [Original("M1", VERSIONS["pacs.008"], "E1", 1)])
    with pytest.raises(ClearingError) as caught:
        validate(data, VERSIONS["pacs.007"])
    # Line 2: the Document, after the XML declaration.
    assert caught.value.code == Refusal.MESSAGE_INVALID and caught.value.details["line"] == 2
