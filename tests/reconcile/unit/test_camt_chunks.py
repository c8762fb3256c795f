"""The chunked camt reader (``camt_chunks``: the XSD checking chunks on another thread, the
entries read by one pattern) against the reader before it (``camt_before.py``, the one-pass
validating tree reader kept verbatim): the same statement, or the same refusal, on generated
files of every shape, cut anywhere; and the schema's facts that make the chunks sound.
"""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from bench import reconcile_bench
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from cunguan.reconcile.formats import camt, camt_chunks, read_statement

from .camt_compare import chunked, damaged, outcome, read_before

_XS = "{http://www.w3.org/2001/XMLSchema}"
_NS = {"camt.053": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08",
       "camt.054": "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"}
#: The names the tree reader looks for anywhere under an entry (``camt._ENTRY_TAGS`` less
#: those it reads only inside one of them).
_LOOKED_FOR = [name for name in camt._ENTRY_TAGS if name not in camt._INNER]


# The schema's facts ------------------------------------------------------------------------

def _schema(message: str) -> tuple[dict[str, etree._Element], etree._Element]:
    root = etree.parse(str(camt._XSD / f"{camt._MESSAGES[message][0]}.xsd")).getroot()
    return {t.get("name"): t for t in root if t.tag == f"{_XS}complexType"}, root


def _places(types: dict[str, etree._Element], type_name: str,
            path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every path of elements under a type (a type is not entered twice on one path)."""
    for element in types[type_name].iter(f"{_XS}element"):
        here = (*path, element.get("name"))
        yield here
        inner = element.get("type")
        if inner in types and inner not in path:
            yield from _places(types, inner, here)


@pytest.mark.parametrize("message", ["camt.053", "camt.054"])
def test_the_schema_gives_the_facts_the_cut_stands_on(message: str) -> None:
    types, root = _schema(message)
    assert not list(root.iter(f"{_XS}unique", f"{_XS}key", f"{_XS}keyref"))
    assert not [e for e in root.iter(f"{_XS}element", f"{_XS}attribute")
                if e.get("type") in ("xs:ID", "xs:IDREF", "xs:IDREFS")]
    # The one open content is the supplementary data's envelope.
    owners = {t.get("name") for t in types.values() if list(t.iter(f"{_XS}any"))}
    assert owners == {"SupplementaryDataEnvelope1"}
    # Ntry: only in the statement (notification), unbounded, and never inside an entry.
    entry_owners = {t.get("name") for t in types.values()
                    for e in t.iter(f"{_XS}element") if e.get("name") == "Ntry"}
    assert entry_owners == {"AccountStatement9" if message == "camt.053"
                            else "AccountNotification17"}
    entry = next(e for t in types.values() for e in t.iter(f"{_XS}element")
                 if e.get("name") == "Ntry")
    assert entry.get("maxOccurs") == "unbounded" and entry.get("type") == "ReportEntry10"
    places = list(_places(types, "ReportEntry10"))
    assert not [p for p in places if p[-1] == "Ntry"]


def test_no_name_the_tree_reader_looks_for_is_inside_what_the_pattern_skips() -> None:
    types, _ = _schema("camt.053")
    inside = {p[-1] for p in _places(types, "BankTransactionCodeStructure4")}
    assert inside and not inside & set(_LOOKED_FOR)


def test_the_first_of_each_name_in_an_entry_of_the_usual_shape_is_the_one_the_pattern_reads(
) -> None:
    """Where each looked-for name can be under an entry: the pattern's shape (one transaction,
    no tax, no structured remittance) leaves the places it reads as the only ones."""
    types, _ = _schema("camt.053")
    where: dict[str, set[str]] = {}
    for path in _places(types, "ReportEntry10"):
        if path[-1] in _LOOKED_FOR:
            where.setdefault(path[-1], set()).add("/".join(path))
    tx = "NtryDtls/TxDtls"
    assert where["AcctSvcrRef"] == {"AcctSvcrRef", f"{tx}/Refs/AcctSvcrRef"}
    assert where["EndToEndId"] == {f"{tx}/Refs/EndToEndId"}
    assert where["InstrId"] == {f"{tx}/Refs/InstrId"}
    assert where["RtrInf"] == {f"{tx}/RtrInf"}
    assert where["Ustrd"] == {f"{tx}/RmtInf/Ustrd"}
    assert where["TtlChrgsAndTaxAmt"] == {"Chrgs/TtlChrgsAndTaxAmt",
                                          f"{tx}/Chrgs/TtlChrgsAndTaxAmt"}
    for role in ("Dbtr", "Cdtr"):
        assert where[role] == {f"{tx}/RltdPties/{role}", f"{tx}/RmtInf/Strd/TaxRmt/{role}",
                               f"{tx}/Tax/{role}"}
        assert where[f"{role}Acct"] == {f"{tx}/RltdPties/{role}Acct"}
    for own in ("RvslInd", "Sts", "BookgDt", "ValDt", "NtryRef", "AddtlNtryInf"):
        assert where[own] == {own}
    # The entry's own Amt and CdtDbtInd come first: only NtryRef, a text, before them.
    sequence = [e.get("name") for e in types["ReportEntry10"].iter(f"{_XS}element")]
    assert sequence[:3] == ["NtryRef", "Amt", "CdtDbtInd"]


# Which files are cut -----------------------------------------------------------------------

_PLAIN = reconcile_bench.camt_file(40)


@pytest.mark.parametrize(("change", "cut"), [
    (lambda d: d, True),
    (lambda d: d.replace(b"<Stmt>", b"<!--c--><Stmt>"), False),
    (lambda d: d.replace(b"</Stmt>", b"<![CDATA[x]]></Stmt>"), False),
    (lambda d: d.replace(b"<Stmt>", b"<?pi x?><Stmt>"), False),
    (lambda d: d.replace(b"</Stmt>", b"</Stmt><SplmtryData/>"), False),
    (lambda d: d.replace(b"\n", b"\r\n"), True),
    (lambda d: d.replace(b"\n", b"\r", 3), False),
    (lambda d: d.replace(b"<Ntry>", b"<Ntry >"), False),
    (lambda d: d.replace("提现".encode(), "提现!?".encode()), True),
])
def test_only_a_plain_file_is_cut(change: Any, cut: bool) -> None:
    with chunked(1):
        assert camt_chunks.eligible(change(_PLAIN)) is cut


def test_a_small_file_is_read_the_tree_way() -> None:
    assert not camt_chunks.eligible(_PLAIN)


def test_a_file_whose_head_would_be_copied_into_every_chunk_at_length_is_read_the_tree_way(
) -> None:
    """The head and tail go with every chunk: a few KiB in a statement, a limit above that."""
    padded = _PLAIN.replace(b"<Stmt>", b"<Stmt>" + b" " * camt_chunks.FRAME_BYTES_MAX)
    with chunked(1):
        assert camt_chunks.eligible(_PLAIN) and not camt_chunks.eligible(padded)


@pytest.mark.parametrize("after", [b"</Ntry>", b"<Ntry>"])
def test_the_bank_code_skipped_ends_within_its_entry(after: bytes) -> None:
    """On a file not yet known valid, a bank code without its end tag must not be sought past
    the entry (each later entry would search to the chunk's end: quadratic time)."""
    entry = ('<Ntry><Amt Ccy="CNY">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd>'
             "</Sts><BookgDt><Dt>2026-12-07</Dt></BookgDt><AcctSvcrRef>B</AcctSvcrRef>"
             "<BkTxCd>{inside}</BkTxCd></Ntry>")
    assert camt_chunks._ENTRY.fullmatch(entry.format(inside="<Domn><Cd>PMNT</Cd></Domn>"))
    crossing = entry.format(inside=f"<Domn>{after.decode()}<Cd>PMNT</Cd></Domn>")
    assert camt_chunks._ENTRY.search(crossing) is None


def test_a_forked_process_gets_its_own_checking_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = camt_chunks._pool()
    monkeypatch.setattr(camt_chunks.os, "getpid", lambda: -1)
    child = camt_chunks._pool()
    assert child is not parent and child.submit(camt_chunks._valid, _PLAIN,
                                                 "camt.053.001.08").result() is True


def test_a_plain_file_of_the_usual_shape_is_read_in_chunks_line_for_line() -> None:
    data = reconcile_bench.camt_file(3_000)
    before = read_before(data, "camt.053")
    with chunked(5_000) as used:
        after = outcome(lambda: read_statement(data, "camt.053"))
    assert used == [] and after == before and after[0] == "read"
    assert len(after[1].lines) == 3_000


@pytest.mark.parametrize("odd", [
    b"<NtryDtls><TxDtls><Refs><EndToEndId>E1</EndToEndId></Refs></TxDtls>"
    b"<TxDtls><Refs><EndToEndId>E2</EndToEndId></Refs></TxDtls></NtryDtls>",
    b"<NtryDtls><TxDtls><Refs><AcctSvcrRef>T1</AcctSvcrRef></Refs></TxDtls></NtryDtls>",
    b"<AddtlNtryInf>a &amp; b</AddtlNtryInf>",
])
def test_an_entry_of_another_shape_sends_the_file_to_the_tree_reader(odd: bytes) -> None:
    data = reconcile_bench.camt_file(30)
    at = data.index(b"<BkTxCd>", data.index(b"<Ntry>", len(data) // 2))
    end = data.index(b"</Ntry>", at)
    data = data[:at] + data[at:end].split(b"<NtryDtls>")[0] + odd + b"</Ntry>" + data[end + 7:]
    before = read_before(data, "camt.053")
    with chunked(2_000) as used:
        after = outcome(lambda: read_statement(data, "camt.053"))
    assert used == ["tree"] and after == before and after[0] == "read"


def test_a_chunk_the_schema_refuses_is_refused_as_before_with_its_line() -> None:
    data = reconcile_bench.camt_file(60)
    at = data.rindex(b"<CdtDbtInd>DBIT")
    data = data[:at] + b"<CdtDbtInd>DBIX" + data[at + 15:]
    before = read_before(data, "camt.053")
    with chunked(3_000) as used:
        after = outcome(lambda: read_statement(data, "camt.053"))
    assert used == ["tree"] and after == before and after[0] == "refused"
    assert "DBIX" in after[3]


# Generated files ---------------------------------------------------------------------------

_TEXTS = ["BK1", " BK2 ", "NOTPROVIDED", "张三", "\u3000R\u3000", " ", "x\ty", "!?"]
_ODD_TEXTS = ["a&amp;b", "&#x4E09;", "a&#13;b"]   # (an entity: not the pattern's)
_HOSTILE_TEXTS = ["", "x" * 36]


#: What an odd file may hold that the pattern does not take (one kind a file, so that each
#: kind is read both ways: with another kind beside it the file would go to the tree anyway).
_ODD = ["text", "party", "servicer_ref", "tax", "original_code", "no_reason", "two_infos",
        "two_remittances", "charges", "two_transactions", "attribute"]


def _rare(draw: Any, odd: str, kind: str) -> bool:
    """Whether this place holds the odd file's kind of oddity (half the places)."""
    return odd == kind and draw(st.booleans())


def _count(draw: Any, odd: str, kind: str) -> int:
    """How many of an element the schema lets repeat: two when that is the oddity, else 0-1."""
    return 2 if _rare(draw, odd, kind) else draw(st.integers(0, 1))


@st.composite
def _text(draw: Any, hostile: bool, odd: str = "") -> str:
    return draw(st.sampled_from(_TEXTS + (_ODD_TEXTS if _rare(draw, odd, "text") else [])
                                + (_HOSTILE_TEXTS if hostile else [])))


@st.composite
def _party(draw: Any, role: str, hostile: bool, odd: str) -> str:
    name = (f"<Pty><Nm>{draw(_text(hostile, odd))}</Nm></Pty>" if not _rare(draw, odd, "party") else
            "<Pty><PstlAdr><TwnNm>X</TwnNm></PstlAdr></Pty>")
    account = (f"<IBAN>CN12{draw(st.sampled_from(['0001', '9ABC']))}</IBAN>"
               if draw(st.booleans()) else f"<Othr><Id>{draw(_text(hostile, odd))}</Id></Othr>")
    return "".join([f"<{role}>{name}</{role}>" if draw(st.booleans()) else "",
                    f"<{role}Acct><Id>{account}</Id></{role}Acct>" if draw(st.booleans())
                    else ""])


@st.composite
def _details(draw: Any, sep: str, hostile: bool, odd: str) -> str:
    refs = "".join([
        f"<AcctSvcrRef>T{draw(st.integers(0, 9))}</AcctSvcrRef>"
        if _rare(draw, odd, "servicer_ref") else "",
        f"<InstrId>I{draw(st.integers(0, 9))}</InstrId>" if draw(st.booleans()) else "",
        f"<EndToEndId>{draw(_text(hostile, odd))}</EndToEndId>" if draw(st.booleans()) else ""])
    parties = draw(_party("Dbtr", hostile, odd)) + draw(_party("Cdtr", hostile, odd))
    tax = ("<Tax><Dbtr><Authstn><Nm>税务</Nm></Authstn></Dbtr></Tax>"
           if _rare(draw, odd, "tax") else "")
    returned = ""
    if draw(st.integers(0, 3)) == 0:
        returned = "".join([
            "<RtrInf>",
            "<OrgnlBkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd>"
            "</Fmly></Domn></OrgnlBkTxCd>" if _rare(draw, odd, "original_code") else "",
            f"<Rsn><Cd>{draw(st.sampled_from(['AC04', 'AM05']))}</Cd></Rsn>"
            if not _rare(draw, odd, "no_reason") else "",
            "".join(f"<AddtlInf>{draw(_text(hostile, odd))}</AddtlInf>"
                    for _ in range(_count(draw, odd, "two_infos"))),
            "</RtrInf>"])
    ustrd = "".join(f"<Ustrd>{draw(_text(hostile, odd))}</Ustrd>"
                    for _ in range(_count(draw, odd, "two_remittances")))
    one = (f"<TxDtls>{sep}{f'<Refs>{refs}</Refs>' if refs else ''}"
           + ("<Chrgs><TtlChrgsAndTaxAmt Ccy=\"CNY\">0.50</TtlChrgsAndTaxAmt></Chrgs>"
              if _rare(draw, odd, "charges") else "")
           + (f"<RltdPties>{parties}</RltdPties>{sep}" if parties or draw(st.booleans())
              else "")
           + (f"<RmtInf>{ustrd}</RmtInf>" if ustrd else "") + tax + returned + "</TxDtls>")
    two = ("<TxDtls><Refs><EndToEndId>E2</EndToEndId></Refs></TxDtls>"
           if _rare(draw, odd, "two_transactions") else "")
    return f"<NtryDtls>{one}{sep}{two}</NtryDtls>"


@st.composite
def _entry(draw: Any, n: int, sep: str, hostile: bool, odd: str) -> tuple[str, int]:
    credit = draw(st.booleans())
    fen = draw(st.integers(1, 10**9))
    amount = (f"{fen // 100}.{fen % 100:02d}" if not hostile or draw(st.integers(0, 5))
              else draw(st.sampled_from(["0.00", "-5.00", "1.005", " 3.10 ", "９.00"])))
    currency = draw(st.sampled_from(["CNY", "USD"])) if hostile else "CNY"
    amt = (f'<Amt Ccy="{currency}">{amount}</Amt>' if not _rare(draw, odd, "attribute") else
           f"<Amt  Ccy='{currency}'>{amount}</Amt>")
    day = draw(st.sampled_from(["2026-12-07", "2026-12-06"]))
    date = draw(st.sampled_from([f"<Dt>{day}</Dt>", f"<DtTm>{day}T10:00:00+08:00</DtTm>"]))
    code = draw(st.sampled_from(["<Cd>BOOK</Cd>", "<Cd>PDNG</Cd>", "<Prtry>BOOKED</Prtry>",
                                 "<Cd> </Cd>"]))
    # The schema wants BkTxCd; the reader wants a date (hostile files may lack either).
    dated = draw(st.sampled_from(["booking", "value", "both"] + (["none"] if hostile else [])))
    ref = (draw(st.sampled_from([f"BK{n}", "BK0", ""])) if hostile
           else f"BK{n}" if draw(st.integers(0, 2)) else "")
    parts = [
        f"<NtryRef>R{n}</NtryRef>" if draw(st.booleans()) or not ref else "",
        amt, f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>",
        draw(st.sampled_from(["", "", "<RvslInd>true</RvslInd>", "<RvslInd>false</RvslInd>"])),
        f"<Sts>{sep}{code}{sep}</Sts>",
        f"<BookgDt>{date}</BookgDt>" if dated in ("booking", "both") else "",
        f"<ValDt>{sep}{date}</ValDt>" if dated in ("value", "both") else "",
        f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else "",
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly>"
        "</Domn></BkTxCd>" if not (hostile and draw(st.integers(0, 3)) == 0) else "",
        '<Chrgs><TtlChrgsAndTaxAmt Ccy="CNY">2.00</TtlChrgsAndTaxAmt></Chrgs>'
        if draw(st.integers(0, 4)) == 0 else "",
        draw(_details(sep, hostile, odd)) if draw(st.integers(0, 4)) else "",
        f"<AddtlNtryInf>{draw(_text(hostile, odd))}</AddtlNtryInf>" if draw(st.booleans())
        else "",
    ]
    booked = "PDNG" not in code
    return "<Ntry>" + sep.join(parts) + "</Ntry>", (fen if credit else -fen) * booked


@st.composite
def _statement(draw: Any) -> tuple[bytes, str, int]:
    message = draw(st.sampled_from(["camt.053", "camt.053", "camt.054"]))
    hostile = draw(st.integers(0, 3)) == 0
    odd = draw(st.sampled_from(_ODD)) if draw(st.booleans()) else ""
    sep = draw(st.sampled_from(["", "\n", "\r\n", " \n\t"]))
    entries = [draw(_entry(n, sep, hostile, odd)) for n in range(draw(st.integers(1, 6)))]
    movement = sum(fen for _, fen in entries)
    opening = draw(st.integers(0, 10**9))
    closing = opening + movement if not hostile or draw(st.booleans()) else opening
    ns, container = _NS[message], camt._MESSAGES[message][1]
    balances = "" if message == "camt.054" else "".join(
        f"<Bal><Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="CNY">{abs(fen) // 100}.{abs(fen) % 100:02d}</Amt>'
        f"<CdtDbtInd>{'DBIT' if fen < 0 else 'CRDT'}</CdtDbtInd>"
        f"<Dt><Dt>2026-12-07</Dt></Dt></Bal>{sep}"
        for kind, fen in (("OPBD", opening), ("CLBD", closing)))
    root = "BkToCstmrStmt" if message == "camt.053" else "BkToCstmrDbtCdtNtfctn"
    text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{ns}"><{root}>'
            "<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-12-07T23:00:00</CreDtTm></GrpHdr>\n"
            f"<{container}><Id>S1</Id><CreDtTm>2026-12-07T23:00:00</CreDtTm>{sep}"
            "<Acct><Id><Othr><Id>0200001234567890123</Id></Othr></Id></Acct>\n"
            + balances + sep.join(entry for entry, _ in entries)
            + f"{sep}</{container}></{root}></Document>\n")
    data = text.encode()
    if hostile:
        data = damaged(draw, data)
    return data, message, draw(st.integers(1, 3_000))


@settings(max_examples=500, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=_statement())
def test_a_generated_file_cut_anywhere_reads_or_is_refused_asbefore(
        case: tuple[bytes, str, int]) -> None:
    data, message, chunk_bytes = case
    before = read_before(data, message)
    with chunked(chunk_bytes):
        after = outcome(lambda: read_statement(data, message))
    assert after == before


def test_the_generated_files_of_the_usual_shape_are_read_in_chunks() -> None:
    """The property above is not vacuous: most plain generated files take the chunked way."""
    taken: list[bool] = []

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case=_statement())
    def read(case: tuple[bytes, str, int]) -> None:
        data, message, chunk_bytes = case
        with chunked(chunk_bytes) as used:
            if camt_chunks.eligible(data) and outcome(
                    lambda: read_statement(data, message))[0] == "read":
                taken.append(used == [])
    read()
    assert taken.count(True) >= 5 and taken.count(False) >= 1


# Line numbers past 65,535 (libxml2 keeps 16 bits of an element's line) ----------------------

_LAYOUTS = {   # an entry's first child after <Ntry>, and whether the cut reads it
    "no white space": ('<Amt Ccy="CNY">1.00</Amt>', True),
    "indented": ('\n      <Amt Ccy="CNY">1.00</Amt>', True),
    "blank lines": ('\n\n\n<Amt Ccy="CNY">1.00</Amt>', True),
    "a reference first": ('<NtryRef>R</NtryRef><Amt Ccy="CNY">1.00</Amt>', True),
    "a reference of two lines first": ('<NtryRef>R\nS</NtryRef><Amt Ccy="CNY">1.00</Amt>',
                                       True),
    "a reference of spaces first": ('<NtryRef>   </NtryRef><Amt Ccy="CNY">1.00</Amt>', True),
    "long white space": (" " * 150 + '<Amt Ccy="CNY">1.00</Amt>', False),
}


@pytest.mark.parametrize("layout", sorted(_LAYOUTS))
def test_an_entry_past_line_65535_has_the_tree_readers_line(layout: str) -> None:
    first, cut = _LAYOUTS[layout]
    entries = "\n".join(
        f"<Ntry>{first}\n<CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><Dt>2026-12-07</Dt></BookgDt><AcctSvcrRef>B{n}</AcctSvcrRef>"
        '<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly>'
        "</Domn></BkTxCd></Ntry>" for n in range(4))
    data = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{_NS["camt.054"]}">'
            "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>M1</MsgId>"
            "<CreDtTm>2026-12-07T23:00:00</CreDtTm></GrpHdr><Ntfctn><Id>S1</Id>"
            "<Acct><Id><Othr><Id>0200001234567890123</Id></Othr></Id></Acct>"
            + "\n" * 65_530 + entries + "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n"
            ).encode()
    before = read_before(data, "camt.054")
    with chunked(300) as used:
        after = outcome(lambda: read_statement(data, "camt.054"))
    assert before[0] == "read" and after == before
    assert (used == []) is cut
    assert [line.line_no for line in after[1].lines][-1] > 65_535


def test_two_files_read_at_once_on_two_threads_share_the_checking_thread() -> None:
    """Two imports at once: their chunks queue on the one checking thread, and each file
    reads as the reader before reads it (and the other's refusal does not leak into it)."""
    good = reconcile_bench.camt_file(2_000)
    at = good.rindex(b"<CdtDbtInd>DBIT")
    bad = good[:at] + b"<CdtDbtInd>DBIX" + good[at + 15:]
    expected = {name: read_before(data, "camt.053") for name, data in (("good", good),
                                                                       ("bad", bad))}
    got: dict[str, tuple[Any, ...]] = {}

    def read(name: str, data: bytes) -> None:
        got[name] = outcome(lambda: read_statement(data, "camt.053"))
    with chunked(20_000) as used:
        threads = [threading.Thread(target=read, args=item)
                   for item in (("good", good), ("bad", bad))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert got == expected and expected["good"][0] == "read"
    assert expected["bad"][0] == "refused" and used == ["tree"]   # only the bad one fell back
