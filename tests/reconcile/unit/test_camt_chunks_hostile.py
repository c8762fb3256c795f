"""Hostile files for the chunked camt reader (``camt_chunks``): each is read with the cut
forced (``CHUNKED_BYTES_MIN`` 0, small ``CHUNK_BYTES``) and compared with the reader before
(``camt_before.py``, the one-pass validating tree reader): the same statement or the same
refusal. The last group are the files a review found the chunked read getting wrong (an entry
end tag with white space, a prefixed entry, a second statement between entries, white space
over libxml2's text limit, line numbers past 65,535, a file with no chunk): each now reads or
is refused as before.
"""

from collections.abc import Callable
from typing import Any

import pytest

from cunguan.reconcile.formats import camt_chunks, read_statement

from .camt_compare import chunked, outcome, read_before

_NS = {"camt.053": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08",
       "camt.054": "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"}
_BKTXCD = ("<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly>"
           "</Domn></BkTxCd>")


# Helpers -------------------------------------------------------------------------------------

def _after(data: bytes, message: str, chunk_bytes: int = 64) -> tuple[tuple[Any, ...], list[str]]:
    """The outcome with every file cut in chunks of about ``chunk_bytes``, and whether the tree
    reader was used (``["tree"]``) or not (``[]``)."""
    with chunked(chunk_bytes) as used:
        return outcome(lambda: read_statement(data, message)), used


def _entry(n: int, *, status: str = "BOOK", start: str = "<Ntry>", end: str = "</Ntry>") -> str:
    return (f'{start}<Amt Ccy="CNY">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>{status}</Cd>'
            f"</Sts><BookgDt><Dt>2026-12-07</Dt></BookgDt><AcctSvcrRef>B{n}</AcctSvcrRef>"
            f"{_BKTXCD}{end}\n")


def _header(container: str, ident: str = "S1", account: str = "0200001234567890123") -> str:
    return (f"<{container}><Id>{ident}</Id><CreDtTm>2026-12-07T23:00:00</CreDtTm>"
            f"<Acct><Id><Othr><Id>{account}</Id></Othr></Id></Acct>\n")


def _balance(kind: str, amount: str, currency: str = "CNY") -> str:
    return (f"<Bal><Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            "<Dt><Dt>2026-12-07</Dt></Dt></Bal>\n")


def _file(message: str, body: str, *, closing: str = "3.00") -> bytes:
    """A camt.053 (OPBD 0.00, CLBD ``closing``) or camt.054 file with ``body`` as entries."""
    root, container = (("BkToCstmrStmt", "Stmt") if message == "camt.053"
                       else ("BkToCstmrDbtCdtNtfctn", "Ntfctn"))
    balances = (_balance("OPBD", "0.00") + _balance("CLBD", closing)
                if message == "camt.053" else "")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{_NS[message]}"><{root}>'
            "<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-12-07T23:00:00</CreDtTm></GrpHdr>\n"
            + _header(container) + balances + body
            + f"</{container}></{root}></Document>\n").encode()


def _three(change: Callable[[str], str] = lambda e: e, message: str = "camt.054") -> bytes:
    """Three entries, the middle one changed."""
    return _file(message, _entry(0) + change(_entry(1)) + _entry(2))


def _details(inner: str) -> Callable[[str], str]:
    return lambda e: e.replace("</Ntry>", f"<NtryDtls><TxDtls>{inner}</TxDtls></NtryDtls></Ntry>")


# Files the chunked read gets right ----------------------------------------------------------

_SAME: dict[str, bytes] = {
    **{f"amount {text!r}": _three(lambda e, t=text: e.replace(">1.00<", f">{t}<"))
       for text in ["1.5", "1.50000", "001.00", "+1.00", "1.", ".5", "1.001", " 1.00 ",
                    "1.00\n", "0.00", "-1.00", "0000000000000000000000000001.00",
                    "99999999999999999.99", "1e2", "\u0661.00"]},
    "a space before an amount's >": _three(lambda e: e.replace('Ccy="CNY">', 'Ccy="CNY" >', 1)),
    "an amount's currency in single quotes": _three(
        lambda e: e.replace('Ccy="CNY"', "Ccy='CNY'", 1)),
    "an xmlns on an amount": _three(
        lambda e: e.replace("<Amt ", f'<Amt xmlns="{_NS["camt.054"]}" ')),
    "a character reference in a currency": _three(lambda e: e.replace('"CNY"', '"&#67;NY"', 1)),
    "an entry in another currency": _three(lambda e: e.replace('"CNY"', '"USD"', 1)),
    "an amount's tag over two lines": _three(lambda e: e.replace("<Amt Ccy", "<Amt\nCcy")),
    "an entry's start tag over two lines": _three(lambda e: e.replace("<Ntry>", "<Ntry\n>")),
    "a self-closing RvslInd": _three(lambda e: e.replace("<Sts>", "<RvslInd/><Sts>")),
    "RvslInd ' true '": _three(lambda e: e.replace("<Sts>", "<RvslInd> true </RvslInd><Sts>")),
    "RvslInd 1": _three(lambda e: e.replace("<Sts>", "<RvslInd>1</RvslInd><Sts>")),
    "an empty AddtlNtryInf": _three(
        lambda e: e.replace("</Ntry>", "<AddtlNtryInf></AddtlNtryInf></Ntry>")),
    "a self-closing AddtlNtryInf": _three(
        lambda e: e.replace("</Ntry>", "<AddtlNtryInf/></Ntry>")),
    "a self-closing Ustrd": _three(_details("<RmtInf><Ustrd/></RmtInf>")),
    "]]> in a text": _three(
        lambda e: e.replace("</Ntry>", "<AddtlNtryInf>a]]>b</AddtlNtryInf></Ntry>")),
    "> in a text": _three(
        lambda e: e.replace("</Ntry>", "<AddtlNtryInf>a>b</AddtlNtryInf></Ntry>")),
    "a character reference in a text": _three(
        lambda e: e.replace("</Ntry>", "<AddtlNtryInf>&#x41;&#13;</AddtlNtryInf></Ntry>")),
    "&amp; in a text": _three(
        lambda e: e.replace("</Ntry>", "<AddtlNtryInf>a&amp;b</AddtlNtryInf></Ntry>")),
    "&lt; in a reference": _three(lambda e: e.replace(">B1<", ">&lt;B1<")),
    "Unicode white space around texts": _three(
        lambda e: e.replace("</Ntry>", "<AddtlNtryInf>\u2028\u3000a\u00a0\x85</AddtlNtryInf>"
                            "</Ntry>")),
    "a control character in a text": _three(
        lambda e: e.replace("</Ntry>", "<AddtlNtryInf>a\x01</AddtlNtryInf></Ntry>")),
    "a text over the schema's length": _three(
        lambda e: e.replace("</Ntry>", f"<AddtlNtryInf>{'x' * 501}</AddtlNtryInf></Ntry>")),
    "CRLF in a text": _three(
        lambda e: e.replace("</Ntry>", "<AddtlNtryInf>a\r\nb</AddtlNtryInf></Ntry>")),
    "a status of white space": _three(lambda e: e.replace("<Cd>BOOK</Cd>", "<Prtry> </Prtry>")),
    "a status ' PDNG '": _three(lambda e: e.replace("<Cd>BOOK</Cd>", "<Cd> PDNG </Cd>")),
    "an empty Sts": _three(lambda e: e.replace("<Cd>BOOK</Cd>", "")),
    "a DtTm with spaces": _three(
        lambda e: e.replace("<Dt>2026-12-07</Dt>", "<DtTm> 2026-12-07T10:00:00 </DtTm>")),
    "a date that is none": _three(lambda e: e.replace("2026-12-07", "2026-02-30")),
    "Dt closed by DtTm": _three(lambda e: e.replace("</Dt>", "</DtTm>")),
    "a date before the bank's years": _three(lambda e: e.replace("2026-12-07", "1900-01-01")),
    "no date": _three(lambda e: e.replace("<BookgDt><Dt>2026-12-07</Dt></BookgDt>", "")),
    "a duplicate reference": _three(lambda e: e.replace(">B1<", ">B0<")),
    "no reference": _three(lambda e: e.replace("<AcctSvcrRef>B1</AcctSvcrRef>", "")),
    "NtryRef only": _three(lambda e: e.replace("<AcctSvcrRef>B1</AcctSvcrRef>", "").replace(
        "<Ntry>", "<Ntry><NtryRef> N1 </NtryRef>")),
    "no BkTxCd": _three(lambda e: e.replace(_BKTXCD, "")),
    "an unclosed BkTxCd": _three(lambda e: e.replace("</BkTxCd>", "")),
    "a proprietary BkTxCd with an entity": _three(
        lambda e: e.replace(_BKTXCD, "<BkTxCd><Prtry><Cd>X&amp;Y</Cd></Prtry></BkTxCd>")),
    "an xmlns on Sts": _three(lambda e: e.replace("<Sts>", f'<Sts xmlns="{_NS["camt.054"]}">')),
    "an unused prefix declared on BkTxCd": _three(
        lambda e: e.replace("<BkTxCd>", '<BkTxCd xmlns:p="urn:x">')),
    "negative charges": _three(lambda e: e.replace(
        "</BkTxCd>", '</BkTxCd><Chrgs><TtlChrgsAndTaxAmt Ccy="CNY">-1.00</TtlChrgsAndTaxAmt>'
        "</Chrgs>")),
    "charges in another currency, spaced": _three(lambda e: e.replace(
        "</BkTxCd>", '</BkTxCd><Chrgs><TtlChrgsAndTaxAmt Ccy="USD"> 1.50 </TtlChrgsAndTaxAmt>'
        "</Chrgs>")),
    "a return with white-space codes": _three(_details(
        "<Refs><InstrId>I</InstrId></Refs><RtrInf><Rsn><Cd> </Cd></Rsn>"
        "<AddtlInf> </AddtlInf></RtrInf>")),
    "a return with two AddtlInf, the first white space": _three(_details(
        "<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf> </AddtlInf><AddtlInf>x</AddtlInf>"
        "</RtrInf>")),
    "a party of white space": _three(_details(
        "<RltdPties><Dbtr><Pty><Nm> </Nm></Pty></Dbtr><DbtrAcct><Id><Othr><Id> </Id></Othr>"
        "</Id></DbtrAcct></RltdPties>")),
    "a credit with only a creditor": _three(_details(
        "<RltdPties><Cdtr><Pty><Nm>C</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>CN12ABCD</IBAN>"
        "</Id></CdtrAcct></RltdPties>")),
    "a reversal NOTPROVIDED": _three(lambda e: _details(
        "<Refs><InstrId> I9 </InstrId><EndToEndId> NOTPROVIDED </EndToEndId></Refs>")(
        e.replace("<Sts>", "<RvslInd>true</RvslInd><Sts>"))),
    "empty Refs": _three(_details("<Refs></Refs>")),
    "an empty NtryDtls": _three(lambda e: e.replace("</Ntry>", "<NtryDtls></NtryDtls></Ntry>")),
    "a self-closing TxDtls": _three(lambda e: e.replace("</Ntry>", "<NtryDtls><TxDtls/>"
                                                                    "</NtryDtls></Ntry>")),
    "an entry after the last </Ntry>": _file(
        "camt.054", _entry(0) + _entry(1) + _entry(2, start="<Ntry >")),
    "an entry before the first <Ntry>": _file(
        "camt.054", _entry(0, start="<Ntry >") + _entry(1) + _entry(2)),
    "TxsSummry in the head": _three().replace(
        b"</Acct>", b"</Acct><TxsSummry><TtlNtries><NbOfNtries>3</NbOfNtries></TtlNtries>"
        b"</TxsSummry>"),
    "AddtlNtfctnInf in the tail": _three().replace(
        b"</Ntfctn>", b"<AddtlNtfctnInf>x</AddtlNtfctnInf></Ntfctn>"),
    "another namespace": _three().replace(_NS["camt.054"].encode(), b"urn:x"),
    "truncated": _three()[:-30],
    "something after the document": _three() + b"<x/>",
    "not UTF-8 in an entry": _three().replace(b">B1<", b">B\xff1<"),
    "a Latin-1 declaration": _three().replace(b'"UTF-8"', b'"ISO-8859-1"'),
    "standalone": _three().replace(b'"UTF-8"', b'"UTF-8" standalone="yes"'),
    "XML 1.1, NEL between elements": _three(lambda e: e.replace("><", ">\x85<")).replace(
        b'version="1.0"', b'version="1.1"'),
    "XML 1.1, NEL in a text": _three(
        lambda e: e.replace("</Ntry>", "<AddtlNtryInf>a\x85b</AddtlNtryInf></Ntry>")).replace(
        b'version="1.0"', b'version="1.1"'),
    "a lone CR between elements": _three(lambda e: e.replace("><", ">\r<")),
    "a BOM": b"\xef\xbb\xbf" + _three(),
    "no declaration": _three().split(b"\n", 1)[1],
    "a declaration after white space": b"\n" + _three(),
    "CRLF line ends": _three(lambda e: e.replace("><", ">\n<")).replace(b"\n", b"\r\n"),
    "a prefixed element inside BkTxCd": _three(
        lambda e: e.replace("<Domn>", "<c:Domn>").replace("</Domn>", "</c:Domn>")).replace(
        b"<Document xmlns=", b'<Document xmlns:c="' + _NS["camt.054"].encode() + b'" xmlns='),
    "a comment between entries": _three(lambda e: "<!-- x -->" + e),
    "a processing instruction in an entry": _three(lambda e: e.replace("<Sts>", "<?p x?><Sts>")),
    "SplmtryData": _three().replace(b"</BkToCstmrDbtCdtNtfctn>",
                                    b"<SplmtryData><Envlp><x/></Envlp></SplmtryData>"
                                    b"</BkToCstmrDbtCdtNtfctn>"),
}


@pytest.mark.parametrize("chunk_bytes", [1, 400])
@pytest.mark.parametrize("name", list(_SAME))
def test_a_hostile_file_reads_or_is_refused_asbefore(name: str, chunk_bytes: int) -> None:
    data = _SAME[name]
    before = read_before(data, "camt.054")
    after, _ = _after(data, "camt.054", chunk_bytes)
    assert after == before


@pytest.mark.parametrize("name", ["a BOM", "no declaration", "CRLF line ends",
                                  "RvslInd ' true '", "a reversal NOTPROVIDED",
                                  "Unicode white space around texts", "a duplicate reference",
                                  "a prefixed element inside BkTxCd", "TxsSummry in the head"])
def test_the_same_files_of_the_usual_shape_take_the_chunked_way(name: str) -> None:
    """The comparison above is not vacuous: these went through the pattern, not the tree."""
    data = _SAME[name]
    after, used = _after(data, "camt.054", 1)
    assert used == [] and after == read_before(data, "camt.054")


def test_crlf_line_numbers_are_the_trees() -> None:
    data = _file("camt.054", "".join(_entry(n).replace("><", ">\r\n<") for n in range(4))
                 ).replace(b"\n", b"\r\n").replace(b"\r\r", b"\r")
    before = read_before(data, "camt.054")
    after, used = _after(data, "camt.054", 100)
    assert used == [] and after == before
    starts = [data[:at].count(b"\n") + 1 for at in range(len(data))
              if data.startswith(b"<Ntry>", at)]
    assert [line.line_no for line in after[1].lines] == starts and starts[1] - starts[0] > 1


# Hostile input: no hang, no poisoned checker --------------------------------------------------

_HALF = '<Ntry><Amt Ccy="CNY">1</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>B</Cd></Sts>'


@pytest.mark.parametrize("text", [
    "<Ntry>" * 100_000,
    _HALF * 20_000,
    _HALF + "<BkTxCd>" + "<a>" * 100_000,
    "<Ntry>" + " \n" * 500_000,
    (_HALF + "<NtryDtls><TxDtls><Refs><InstrId>x</InstrId><EndToEndId>y</EndToEndId></Refs>"
     "<RltdPties><Dbtr><Pty><Nm>n</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>i</IBAN></Id>"
     "</DbtrAcct><Cdtr><Pty><Nm>n</Nm></Pty></Cdtr></RltdPties><RmtInf><Ustrd>u</Ustrd>"
     "</RmtInf><RtrInf><Rsn><Cd>c</Cd></Rsn><AddtlInf>a</AddtlInf></RtrInf></TxDtls>"
     "</NtryDtls><X>") * 5_000,
], ids=["starts", "half-entries", "bank-code-unclosed", "white-space", "details-then-odd"])
def test_the_pattern_finds_nothing_in_near_entries(text: str) -> None:
    """Near-misses the pattern must give up on within each entry (possessive parts)."""
    assert next(camt_chunks._ENTRY.finditer(text), None) is None


def test_a_refused_chunk_does_not_poison_the_threads_checker() -> None:
    good = _three()
    version = "camt.054.001.08"
    assert camt_chunks._valid(good.replace(b"CRDT", b"CRDX"), version) is False
    assert camt_chunks._valid(good, version) is True
    assert camt_chunks._valid(b"<Document", version) is False
    assert camt_chunks._valid(good, version) is True


def test_a_file_with_the_first_start_after_the_last_end_is_not_cut_at_the_shipped_sizes(
) -> None:
    """The head and tail overlap when "<Ntry>" comes after the last "</Ntry>" (see the test
    of a file with no chunk below); at the shipped sizes such a file has a frame longer than
    the file, never cut."""
    data = _file("camt.054", "").replace(
        b"</GrpHdr>", b"<Ntry ></Ntry><Ntry></Ntry ></GrpHdr>" + b" " * (4 << 20))
    assert len(data) >= camt_chunks.CHUNKED_BYTES_MIN
    assert camt_chunks.FRAME_BYTES_MAX < camt_chunks.CHUNKED_BYTES_MIN
    assert not camt_chunks.eligible(data)


# Found by review, each once a difference from the reader before (fixed in camt_chunks) --

@pytest.mark.parametrize(("start", "end"), [("<Ntry>", "</Ntry >"), ("<Ntry >", "</Ntry >"),
                                            ("<Ntry\n>", "</Ntry\n>"), ("<Ntry>", "</Ntry\t>")])
def test_an_entry_ended_by_a_spaced_end_tag_is_read(start: str, end: str) -> None:
    data = _file("camt.054", _entry(0) + _entry(1, start=start, end=end) + _entry(2))
    before = read_before(data, "camt.054")
    after, _ = _after(data, "camt.054")
    assert before[0] == "read" and len(before[1].lines) == 3
    assert after == before


def test_a_pending_entry_with_spaced_tags_in_a_statement_is_read() -> None:
    data = _file("camt.053", _entry(0) + _entry(1, status="PDNG", start="<Ntry >",
                                                end="</Ntry >") + _entry(2), closing="2.00")
    before = read_before(data, "camt.053")
    after, _ = _after(data, "camt.053")
    assert before[0] == "read" and len(before[1].lines) == 3
    assert after == before


def test_a_prefixed_entry_is_read() -> None:
    prefixed = _entry(1).replace("<", "<c:").replace("<c:/", "</c:")
    data = _file("camt.054", _entry(0) + prefixed + _entry(2)).replace(
        b"<Document xmlns=", b'<Document xmlns:c="' + _NS["camt.054"].encode() + b'" xmlns=')
    before = read_before(data, "camt.054")
    after, _ = _after(data, "camt.054")
    assert before[0] == "read" and len(before[1].lines) == 3
    assert after == before


def test_a_second_notification_is_refused() -> None:
    second = _header("Ntfctn", "S2", "9999")
    data = _file("camt.054", _entry(0) + "</Ntfctn>" + second + _entry(1))
    before = read_before(data, "camt.054")
    after, _ = _after(data, "camt.054")
    assert before[0] == "refused" and "a second Ntfctn" in before[3]
    assert after == before


def test_a_second_statement_is_refused() -> None:
    second = _header("Stmt", "S2", "9999") + _balance("OPBD", "5.00", "USD")
    data = _file("camt.053", _entry(0) + "</Stmt>" + second + _entry(1), closing="2.00")
    before = read_before(data, "camt.053")
    after, _ = _after(data, "camt.053")
    assert before[0] == "refused"
    assert after == before


@pytest.mark.parametrize("where", ["between", "inside"])
def test_white_space_over_the_text_limit_is_refused(where: str) -> None:
    space = " " * 10_500_000
    data = (_file("camt.054", _entry(0) + space + _entry(1) + _entry(2)) if where == "between"
            else _three(lambda e: e.replace("<Sts>", "<Sts>" + space)))
    before = read_before(data, "camt.054")
    after, _ = _after(data, "camt.054", 4096)
    assert before[0] == "refused" and "Text node too long" in before[3]
    assert after == before


def test_line_numbers_past_65535_are_the_trees() -> None:
    body = "\n" * 70_000 + "".join(_entry(n).replace("><", ">\n<") for n in range(3))
    data = _file("camt.054", body)
    before = read_before(data, "camt.054")
    after, used = _after(data, "camt.054", 1 << 20)
    assert before[0] == "read" and used == []
    assert after == before


def test_a_file_with_no_chunk_is_still_checked() -> None:
    data = _file("camt.053", "", closing="0.00").replace(
        b"</GrpHdr>", b"<Ntry ></Ntry><Ntry></Ntry ></GrpHdr>")
    before = read_before(data, "camt.053")
    after, _ = _after(data, "camt.053")
    assert before[0] == "refused"
    assert after == before
