"""The faster camt reader (the XSD checked on another thread, entries read unchecked, lines
built without the dataclass's ``__init__``) against the reader before it
(``camt_before.py``, the one-pass validating reader kept verbatim): the same statement, or
the same refusal (code, message, details), on the public and shipped samples, on the bench's
file, and on generated statements — valid, with comments where the schema allows them,
with values the reader refuses, and cut, altered or spliced anywhere.
"""

import dataclasses
import inspect
from datetime import date
from typing import Any

import pytest
from bench import reconcile_bench
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cunguan.reconcile.formats import camt, read_statement
from cunguan.reconcile.rules import statements as statements_rules
from cunguan.reconcile.rules.statements import Direction, LineStatus, StatementLine, statement_line
from cunguan.reconcile.store import statements as store

from .camt_compare import damaged, outcome, read_before
from .formats_helpers import sample

_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _both(data: bytes, message: str = "camt.053") -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    return read_before(data, message), outcome(lambda: read_statement(data, message))


@pytest.mark.parametrize(("name", "message"), [
    ("camt053_20261207.xml", "camt.053"), ("camt054_20261207.xml", "camt.054"),
    ("public/camt053_genkgo_v8.xml", "camt.053")])
def test_the_samples_read_as_before(name: str, message: str) -> None:
    before, after = _both(sample(name), message)
    assert after == before


def test_the_bench_file_reads_as_before_line_for_line_and_row_for_row() -> None:
    data = reconcile_bench.camt_file(3_000)
    before, after = _both(data)
    assert after == before and after[0] == "read"
    lines = after[1].lines
    assert len(lines) == 3_000
    rows = store.rows(7, "A", lines)
    assert rows == [_row_before(7, "A", line) for line in lines]
    assert [tuple(map(type, row.values())) for row in rows] == [
        tuple(map(type, _row_before(7, "A", line).values())) for line in lines]


def _row_before(import_id: int, account_no: str, line: StatementLine) -> dict[str, Any]:
    """``store.statements._row`` before (76cec66), verbatim."""
    return {"import_id": import_id, "line_no": line.line_no,
            "line_key": store.line_key(import_id, line.line_no), "account_no": account_no,
            "value_date": line.value_date, "booking_date": line.booking_date,
            "direction": str(line.direction), "amount_fen": line.amount_fen,
            "fee_fen": line.fee_fen, "status": str(line.status), "bank_ref": line.bank_ref,
            "end_to_end_ref": line.end_to_end_ref,
            "counterparty_account": line.counterparty_account,
            "counterparty_name": line.counterparty_name[:128],
            "description": line.description[:256], "balance_after_fen": line.balance_after_fen,
            "original_ref": line.original_ref}


# Generated statements ------------------------------------------------------------------------

# Each menu: values the schema and the reader take, then (``hostile``) ones either refuses.
_TEXTS = (["BK1", " BK2 ", "NOTPROVIDED", "张三", "E\t1", "a&amp;b", "\u3000R\u3000", " "],
          ["", "x" * 36])
_AMOUNTS = ([" 3.10 ", "12.5", "7", "00012.30", "1.50000"],
            ["0", "0.00", "-5.00", "1.005", "1e3", "９.00", ""])
_DAYS = (["2026-12-07", "2026-12-06"], [" 2026-12-07 ", "1999-12-31", "2026-02-30", "20261207"])
_CODES = (["<Cd>BOOK</Cd>", "<Cd>PDNG</Cd>", "<Cd>INFO</Cd>", "<Prtry>BOOKED</Prtry>",
           "<Cd> </Cd>", "<Cd>BOOK</Cd><!--c-->"], ["<Cd>BOOKX</Cd>", "<Cd></Cd>"])


def _menu(draw: Any, menu: tuple[list[str], list[str]], hostile: bool) -> str:
    return draw(st.sampled_from(menu[0] + (menu[1] if hostile else [])))


def _comment(draw: Any, hostile: bool) -> str:
    return "<!--c-->" if hostile and draw(st.integers(0, 3)) == 0 else ""


@st.composite
def _date_choice(draw: Any, tag: str, hostile: bool) -> str:
    if draw(st.integers(0, 7)) == 0:
        return ""
    day, comment = _menu(draw, _DAYS, hostile), _comment(draw, hostile)
    inner = (f"<DtTm>{day.strip()}T10:00:00+08:00</DtTm>" if draw(st.booleans())
             else f"<Dt>{day}</Dt>")
    return f"<{tag}>{comment}{inner}</{tag}>"


@st.composite
def _party(draw: Any, credit: bool, hostile: bool) -> str:
    if not draw(st.booleans()):
        return ""
    who = "Dbtr" if credit ^ draw(st.sampled_from([False, False, True])) else "Cdtr"
    account = (f"<IBAN>CN12{draw(st.sampled_from(['0001', '9ABC']))}</IBAN>"
               if draw(st.booleans()) else f"<Othr><Id>{_menu(draw, _TEXTS, hostile)}</Id></Othr>")
    return (f"<{who}><Pty>{_comment(draw, hostile)}<Nm>{_menu(draw, _TEXTS, hostile)}</Nm></Pty>"
            f"</{who}><{who}Acct><Id>{account}</Id></{who}Acct>")


def _fen_of(amount: str) -> int:
    whole, _, cents = amount.strip().partition(".")
    if not (whole.isdigit() and whole.isascii() and (cents.isdigit() or not cents)):
        return 0
    return int(whole) * 100 + int(cents[:2].ljust(2, "0"))


@st.composite
def _entry(draw: Any, n: int, hostile: bool) -> tuple[str, int]:
    """One Ntry in the schema's order, and its fen on the balance (0 when not plain)."""
    credit = draw(st.booleans())
    amount = (draw(st.integers(1, 10**9).map(lambda f: f"{f // 100}.{f % 100:02d}"))
              if draw(st.booleans()) else _menu(draw, _AMOUNTS, hostile))
    code = _menu(draw, _CODES, hostile)
    ref = draw(st.sampled_from([f"BK{n}", "BK0", "", " "])) if hostile else f"BK{n}"
    currency = draw(st.sampled_from(["CNY", "USD"])) if hostile else "CNY"
    parts = [
        f"<NtryRef>R{n}</NtryRef>" if draw(st.booleans()) else "",
        f'<Amt Ccy="{currency}">{amount}</Amt>',
        f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>",
        draw(st.sampled_from(["", "", "<RvslInd>true</RvslInd>", "<RvslInd>0</RvslInd>"])),
        f"<Sts>{_comment(draw, hostile)}{code}</Sts>",
        draw(_date_choice("BookgDt", hostile)), draw(_date_choice("ValDt", hostile)),
        f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else "",
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly>"
        "</Domn></BkTxCd>",
        (f'<Chrgs><TtlChrgsAndTaxAmt Ccy="CNY">{_menu(draw, _AMOUNTS, hostile)}'
         "</TtlChrgsAndTaxAmt></Chrgs>" if draw(st.booleans()) else ""),
    ]
    if draw(st.booleans()):
        refs = "".join([f"<InstrId>I{n}</InstrId>" if draw(st.booleans()) else "",
                        f"<EndToEndId>{_menu(draw, _TEXTS, hostile)}</EndToEndId>"
                        if draw(st.booleans()) else ""])
        party = draw(_party(credit, hostile))
        returned = (f"<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>{_menu(draw, _TEXTS, hostile)}"
                    "</AddtlInf></RtrInf>" if draw(st.booleans()) else "")
        parts.append(f"<NtryDtls><TxDtls>{f'<Refs>{refs}</Refs>' if refs else ''}"
                     f"{f'<RltdPties>{party}</RltdPties>' if party else ''}"
                     f"<RmtInf><Ustrd>{_menu(draw, _TEXTS, hostile)}</Ustrd></RmtInf>{returned}"
                     "</TxDtls></NtryDtls>")
    if draw(st.booleans()):
        parts.append(f"<AddtlNtryInf>{_menu(draw, _TEXTS, hostile)}</AddtlNtryInf>")
    fen = _fen_of(amount)
    booked = "PDNG" not in code and "INFO" not in code
    return "<Ntry>" + "\n".join(parts) + "</Ntry>\n", (fen if credit else -fen) * booked


def _balance(kind: str, fen: int) -> str:
    return (f"<Bal><Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="CNY">{abs(fen) // 100}.{abs(fen) % 100:02d}</Amt>'
            f"<CdtDbtInd>{'DBIT' if fen < 0 else 'CRDT'}</CdtDbtInd>"
            "<Dt><Dt>2026-12-07</Dt></Dt></Bal>\n")


@st.composite
def _statement(draw: Any) -> bytes:
    hostile = draw(st.integers(0, 2)) == 0
    entries = [draw(_entry(n, hostile)) for n in range(draw(st.integers(0, 6)))]
    opening = draw(st.integers(-10**6, 10**9))
    movement = sum(fen for _, fen in entries)
    closing = opening + movement if draw(st.integers(0, 5)) else draw(st.integers(0, 10**6))
    text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{_NS}"><BkToCstmrStmt>'
            "<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-12-07T23:00:00</CreDtTm></GrpHdr>\n"
            "<Stmt><Id>S1</Id><CreDtTm>2026-12-07T23:00:00</CreDtTm>"
            "<Acct><Id><Othr><Id>0200001234567890123</Id></Othr></Id><Ccy>CNY</Ccy></Acct>\n"
            + _balance("OPBD", opening) + _balance("CLBD", closing)
            + "".join(entry for entry, _ in entries) + "</Stmt></BkToCstmrStmt></Document>\n")
    data = text.encode()
    return damaged(draw, data) if hostile else data


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_statement())
def test_a_generated_statement_reads_or_is_refused_as_before(data: bytes) -> None:
    before, after = _both(data)
    assert after == before


@given(line_no=st.integers(-5, 10**9), days=st.tuples(st.dates(), st.dates()),
       direction=st.sampled_from(list(Direction)), amount=st.integers(-3, 10**15),
       texts=st.lists(st.text(max_size=5), min_size=6, max_size=6),
       status=st.sampled_from(list(LineStatus)), fee=st.integers(-2, 10**6),
       after=st.none() | st.integers())
def test_statement_line_is_the_dataclass_built_its_faster_way(
        line_no: int, days: tuple[date, date], direction: Direction, amount: int,
        texts: list[str], status: LineStatus, fee: int, after: int | None) -> None:
    bank_ref, e2e, account, name, description, original = texts
    args = (line_no, *days, direction, amount, bank_ref, e2e, account, name, description,
            status, fee, after, original)
    built = outcome(lambda: statement_line(*args))
    assert built == outcome(lambda: StatementLine(*args))
    assert built[0] == "refused" or type(built[1]) is StatementLine


def test_a_line_is_built_in_a_twin_of_the_record_with_the_same_slots_in_the_same_order() -> None:
    """``statement_line`` fills a ``_Building`` and turns it into a ``StatementLine``: the two
    must stay the same layout, field for field, or the turn would fail or mislabel a slot."""
    fields = [f.name for f in dataclasses.fields(StatementLine)]
    assert list(statements_rules._Building.__slots__) == list(StatementLine.__slots__) == fields
    parameters = list(inspect.signature(statements_rules._Building.__init__).parameters)[1:]
    assert parameters == fields


def test_a_valid_file_is_read_once_while_the_schema_checks_it_beside(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def not_again(*_: Any) -> None:
        raise AssertionError("a valid file read a second time")
    monkeypatch.setattr(camt, "_walk_checked", not_again)
    assert len(read_statement(reconcile_bench.camt_file(200), "camt.053").lines) == 200


def test_a_file_the_schema_refuses_is_refused_by_the_one_pass_read_with_its_line() -> None:
    data = reconcile_bench.camt_file(50).replace(b"<CdtDbtInd>DBIT", b"<CdtDbtInd>DBIX", 1)
    before, after = _both(data)
    assert after == before and after[0] == "refused"
    assert "line 4:" in after[3] and "DBIX" in after[3]   # the second entry
