"""ISO 20022 camt.053.001.08 (bank-to-customer statement) and camt.054.001.08 (debit/credit
notification), read with lxml ``iterparse`` and checked against the official XSD (shipped in
``xsd/``) on another thread while the entries are read (``_stream``; a file the check fails is
read again validating as it streams, for its refusal), entries handled and cleared as they
end, so a file of a million entries is read in bounded memory.

One statement (``Stmt``) or notification (``Ntfctn``) per file. Mapped:

  Stmt/Id | Ntfctn/Id        statement id
  Acct/Id/IBAN | Othr/Id      account no.; Acct/Ccy the currency
  FrToDt                      period (else the entries' booking dates)
  Bal OPBD (or PRCD) / CLBD   opening / closing balance, CdtDbtInd DBIT negative (camt.053 only)
  Ntry/Amt, Amt/@Ccy          amount (exact decimal; a non-zero third decimal is refused)
  Ntry/CdtDbtInd              CRDT credit, DBIT debit
  Ntry/RvslInd true           ``reversed``
  Ntry/Sts BOOK | PDNG, INFO  ``booked`` | ``pending``
  BookgDt, ValDt              booking and value date (Dt, or DtTm's date)
  AcctSvcrRef (else NtryRef)  the bank's reference
  TxDtls/Refs/EndToEndId      end-to-end reference (NOTPROVIDED is none)
  TxDtls/RltdPties            counterparty: Dbtr/DbtrAcct of a credit, Cdtr/CdtrAcct of a debit
  TxDtls/RtrInf               ``returned``, with the original reference (EndToEndId, else
                              InstrId) and Rsn's code (Cd, else Prtry) in the narrative
  Ntry/Chrgs/TtlChrgsAndTaxAmt  fee_fen
  AddtlNtryInf, RmtInf/Ustrd  narrative

A camt.054 notification states no balances: its statement has ``balances_stated`` False.
A DOCTYPE is refused; entities are never resolved and nothing is fetched from the network.
"""

import io
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from cunguan.core import limits
from cunguan.reconcile.formats import camt_chunks, common
from cunguan.reconcile.rules.statements import (
    Direction,
    LineStatus,
    Statement,
    StatementLine,
    statement_line,
)

_XSD = Path(__file__).resolve().parent / "xsd"
_MESSAGES = {"camt.053": ("camt.053.001.08", "Stmt"), "camt.054": ("camt.054.001.08", "Ntfctn")}
#: Up to this size a file refused by the XSD is parsed again as a tree to name the line.
_RELOCATE_BYTES_MAX = 64 * 1024 * 1024
_PENDING = frozenset({"PDNG", "INFO", "FUTR"})
_ENTRY_TAGS = ("Amt", "CdtDbtInd", "RvslInd", "Sts", "Cd", "Prtry", "BookgDt", "ValDt",
               "AcctSvcrRef", "NtryRef", "EndToEndId", "InstrId", "RtrInf", "AddtlInf",
               "Dbtr", "Cdtr", "DbtrAcct", "CdtrAcct", "IBAN", "Id", "Nm",
               "TtlChrgsAndTaxAmt", "AddtlNtryInf", "Ustrd", "Rsn")
#: Read inside an element found first (Sts/Cd, Dbtr/…/Nm), never looked up on their own.
_INNER = frozenset({"Cd", "Prtry", "AddtlInf", "IBAN", "Id", "Nm", "Rsn"})


@cache
def schema(version: str) -> etree.XMLSchema:
    """The official XSD of a message version, parsed once."""
    return etree.XMLSchema(etree.parse(str(_XSD / f"{version}.xsd")))


class _Tags:
    """The entry's names in the message's namespace, as attributes (``q.Amt``)."""

    def __init__(self, tags: dict[str, str]) -> None:
        self.__dict__.update(tags)

    def __getattr__(self, name: str) -> str:   # for mypy: every name of _ENTRY_TAGS
        raise AttributeError(name)


@dataclass
class _Read:
    """What the stream gathered."""

    ns: str
    container: str
    statement_id: str = ""
    account: str = ""
    currency: str = ""
    period: tuple[date, date] | None = None
    balances: dict[str, int] = field(default_factory=dict)
    balance_dates: dict[str, date] = field(default_factory=dict)
    lines: list[StatementLine] = field(default_factory=list)
    containers: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    wanted: tuple[str, ...] = ()
    container_tag: str = ""
    entry_tag: str = ""
    q: "_Tags" = field(init=False)
    status_tags: frozenset[str] = frozenset()
    dates: dict[str, date] = field(default_factory=dict)
    container_elem: etree._Element | None = None

    def __post_init__(self) -> None:
        # Texts of the schema are bounded (Max35Text … Max500Text): no length check needed.
        self.tags = {name: f"{{{self.ns}}}{name}" for name in (*_ENTRY_TAGS, "Acct", "Bal")}
        self.container_tag = f"{{{self.ns}}}{self.container}"
        self.entry_tag = f"{{{self.ns}}}Ntry"
        self.wanted = tuple(self.tags[name] for name in _ENTRY_TAGS if name not in _INNER)
        self.q = _Tags(self.tags)
        self.status_tags = frozenset((self.q.Cd, self.q.Prtry))


def _flat(elem: etree._Element, ns: str) -> dict[str, str]:
    """Texts under a statement header or balance by path ("c:Acct/c:Id/c:IBAN"; an amount's
    currency as "c:Amt@Ccy"), the first of each path."""
    flat: dict[str, str] = {}
    cut = len(ns) + 2

    def walk(node: etree._Element, path: str) -> None:
        for child in node:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # a comment or processing instruction
            here = f"{path}/c:{tag[cut:]}" if path else f"c:{tag[cut:]}"
            if here not in flat:
                flat[here] = (child.text or "").strip()
                currency = child.get("Ccy")
                if currency is not None:
                    flat[f"{here}@Ccy"] = currency
                if here in _DESCEND:
                    walk(child, here)
    walk(elem, "")
    return flat


#: The only branches of a statement header or a balance read: the walk enters no other.
_DESCEND = frozenset({"c:Tp", "c:Tp/c:CdOrPrtry", "c:Dt", "c:Acct", "c:Acct/c:Id",
                      "c:Acct/c:Id/c:Othr", "c:FrToDt"})


def _finder(elem: etree._Element, ns: str) -> Callable[[str], str]:
    flat = _flat(elem, ns)
    return lambda path: flat.get(path, "")


def _date(value: str, line: int, what: str) -> date | None:
    return common.parse_date(value[:10], line, what) if value else None


def _header(read: _Read, acct: etree._Element) -> None:
    """Statement-level fields, all before Acct in the schema's sequence (already parsed)."""
    container = acct.getparent()
    find = _finder(container, read.ns)
    line = acct.sourceline or 0
    read.statement_id = common.check_text(find("c:Id"), line, "Id")
    read.account = common.check_text(find("c:Acct/c:Id/c:IBAN") or
                                     find("c:Acct/c:Id/c:Othr/c:Id"), line, "Acct")
    read.currency = find("c:Acct/c:Ccy")
    start = _date(find("c:FrToDt/c:FrDtTm"), line, "FrDtTm")
    end = _date(find("c:FrToDt/c:ToDtTm"), line, "ToDtTm")
    if start and end:
        read.period = (start, end)


def _balance(read: _Read, bal: etree._Element) -> None:
    find = _finder(bal, read.ns)
    line = bal.sourceline or 0
    kind = find("c:Tp/c:CdOrPrtry/c:Cd") or find("c:Tp/c:CdOrPrtry/c:Prtry")
    fen = common.decimal_fen(find("c:Amt"), line, f"balance {kind}")
    if find("c:CdtDbtInd") == "DBIT":
        fen = -fen
    when = _date(find("c:Dt/c:Dt") or find("c:Dt/c:DtTm"), line, "balance date")
    if kind in read.balances and kind in ("OPBD", "CLBD"):
        common.refuse(line, f"a second {kind} balance")
    read.balances.setdefault(kind, fen)
    if when:
        read.balance_dates.setdefault(kind, when)
    read.currency = read.currency or find("c:Amt@Ccy")


def _first_text(elem: etree._Element | None, *tags: str) -> str:
    """The first non-empty text among ``elem``'s descendants named ``tags`` (C-level iter)."""
    if elem is None:
        return ""
    for found in elem.iter(*tags):
        text = (found.text or "").strip()
        if text:
            return text
    return ""


def _status(code: str, returned: bool, reversal: str) -> LineStatus:
    if code in _PENDING:
        return LineStatus.PENDING
    if returned:
        return LineStatus.RETURNED
    if reversal in ("true", "1"):
        return LineStatus.REVERSED
    return LineStatus.BOOKED


def _date_of(read: _Read, text: str, line: int, what: str) -> date | None:
    """A DateAndDateTime2Choice's date from its child's text (its Dt, or its DtTm's date;
    "" when absent); a text read before is answered from ``read.dates`` (a statement holds
    a few days, a million times over)."""
    text = text.strip()
    if not text:
        return None
    found = read.dates.get(text)
    if found is not None:
        return found
    found = _parsed_date(text, line, what)
    if found is not None and len(read.dates) < limits.statement_dates_remembered_max:
        read.dates[text] = found
    return found


def _child_text(elem: etree._Element | None) -> str:
    """The text of ``elem``'s first child ("" when there is no element or no child)."""
    if elem is None:
        return ""
    try:
        return elem[0].text or ""
    except IndexError:   # no child
        return ""


def _parsed_date(text: str, line: int, what: str) -> date | None:
    if len(text) >= 10 and text[4] == "-" and text[7] == "-" and text[:10].isascii():
        try:
            found = date.fromisoformat(text[:10])
        except ValueError:
            pass
        else:   # beyond the bank's years: parse_date below names the refusal
            if limits.date_earliest <= found <= limits.date_latest:
                return found
    return _date(text, line, what)


def _fen(text: str, line: int, what: str) -> int:
    """``common.decimal_fen`` of a stripped text, a plain one (``123.45``) read with string
    methods: ASCII digits, at most two decimals, within the limit; the rest goes its way."""
    whole, point, cents = text.partition(".")
    if (whole.isdigit() and whole.isascii() and len(whole) <= 24
            and (not point or (cents.isdigit() and cents.isascii() and len(cents) <= 2))):
        fen = int(whole) * 100 + (int(cents) * (10 if len(cents) == 1 else 1) if cents else 0)
        if fen <= limits.statement_amount_fen_max:
            return fen
    return common.decimal_fen(text, line, what)


def _status_code(read: _Read, sts: etree._Element) -> str:
    """Sts's code: its first Cd or Prtry with text (its first child, usually), else its text."""
    try:
        code = sts[0]
    except IndexError:
        code = None
    if code is not None and code.tag in read.status_tags:
        text = (code.text or "").strip()
        if text:    # the first child is the first in document order
            return text
    q = read.q
    return _first_text(sts, q.Cd, q.Prtry) or (sts.text or "").strip()


def _narrative(*parts: str) -> str:
    return " / ".join([x for x in parts if x])


def _entry(read: _Read, entry: etree._Element) -> StatementLine:
    """One Ntry, read in one pass over its elements: the first of each name (the schema's
    order puts the entry's own Amt, CdtDbtInd, AcctSvcrRef before its details' ones), its
    texts laid out as ``ENTRY_TEXTS`` says and handed to ``_line``."""
    q = read.q
    first: dict[str, etree._Element] = {}
    for elem in entry.iter(*read.wanted):  # filtered in C: no proxy for the rest
        tag = elem.tag
        if tag not in first:
            first[tag] = elem
    get = first.get

    def text(tag: str) -> str:
        found = get(tag)
        return (found.text or "") if found is not None else ""
    amt, sts, returned = get(q.Amt), get(q.Sts), get(q.RtrInf)
    credit_debit = text(q.CdtDbtInd)
    debtor = credit_debit.strip() == "CRDT"   # a credit's counterparty is its debtor
    party, party_account = ((get(q.Dbtr), get(q.DbtrAcct)) if debtor else
                            (get(q.Cdtr), get(q.CdtrAcct)))
    name, account = _first_text(party, q.Nm), _first_text(party_account, q.IBAN, q.Id)
    texts = (
        text(q.NtryRef), "" if amt is None else amt.get("Ccy", ""), text(q.Amt),
        credit_debit, text(q.RvslInd), None if sts is None else _status_code(read, sts),
        _child_text(get(q.BookgDt)), _child_text(get(q.ValDt)), text(q.AcctSvcrRef),
        text(q.TtlChrgsAndTaxAmt), text(q.InstrId), text(q.EndToEndId),
        name if debtor else "", account if debtor else "",
        "" if debtor else name, "" if debtor else account,
        text(q.Ustrd), "" if returned is None else "1",
        _return_reason(read, returned), _first_text(returned, q.AddtlInf),
        text(q.AddtlNtryInf))
    return _line(read, entry.sourceline or 0, texts)


def _return_reason(read: _Read, returned: etree._Element | None) -> str:
    """RtrInf/Rsn's code (Cd, else Prtry): not RtrInf's first Cd, which is the original
    transaction code's domain when OrgnlBkTxCd comes before Rsn."""
    reason = None if returned is None else returned.find(read.q.Rsn)
    return _first_text(reason, read.q.Cd, read.q.Prtry)


#: What an entry's texts are, by position (``_line``'s ``texts``): the order of the
#: elements in the schema's sequence, as ``camt_chunks``' pattern captures them. Each is the
#: element's text, unstripped ("" when absent), but for the status code (None when the entry
#: has no Sts), and a party's name and account (its IBAN, else its other id) and the return's
#: code and information, which the tree reader gives as the first non-empty one, stripped.
ENTRY_TEXTS = ("entry_ref", "currency", "amount", "credit_debit", "reversal", "status_code",
               "booking_date", "value_date", "servicer_ref", "charges", "instruction_id",
               "end_to_end_id", "debtor_name", "debtor_account", "creditor_name",
               "creditor_account", "remittance", "returned", "return_code", "return_info",
               "entry_info")


def _line(read: _Read, line: int, texts: Sequence[Any]) -> StatementLine:
    """An entry's line from its texts, however they were read (a tree's elements, or
    ``camt_chunks``' pattern). The checks, and their order, are the refusals' order:
    keep them so."""
    (entry_ref, currency, amount_text, credit_debit, reversal, status_code, booking_text,
     value_text, servicer_ref, charges, instruction_id, end_to_end, debtor_name,
     debtor_account, creditor_name, creditor_account, remittance, returned, return_code,
     return_info, entry_info) = texts
    amount = _fen(amount_text.strip(), line, "Amt")
    if amount <= 0:   # the XSD's decimal takes a sign; the direction is CdtDbtInd's
        common.refuse(line, "the amount is zero" if amount == 0 else
                      "a negative amount: an entry's direction is its CdtDbtInd")
    read.currency = read.currency or currency
    if currency != read.currency:   # decimal_fen("") above refused an entry without Amt
        common.refuse(line, f"an entry in {currency} on a {read.currency} statement")
    credit = credit_debit.strip() == "CRDT"
    booking = _date_of(read, booking_text, line, "BookgDt")
    value = _date_of(read, value_text, line, "ValDt")
    if booking is None and value is None:
        common.refuse(line, "an entry with neither booking nor value date")
    bank_ref = servicer_ref.strip() or entry_ref.strip()
    if not bank_ref:
        common.refuse(line, "an entry without AcctSvcrRef or NtryRef")
    end_to_end = end_to_end.strip()
    end_to_end = "" if end_to_end == "NOTPROVIDED" else end_to_end
    if status_code is None:  # the XSD refuses it too, but only after the entry's end event
        common.refuse(line, "an entry without Sts")
    status = _status(status_code.strip(), bool(returned), reversal.strip())
    fee = charges.strip()
    fee_fen = _fen(fee, line, "Chrgs") if fee else 0
    if fee_fen < 0:
        common.refuse(line, "negative charges")
    entry_info, remittance = entry_info.strip(), remittance.strip()
    if returned:
        narrative = _narrative(entry_info, remittance, return_code.strip(), return_info.strip())
    else:   # (the usual case, spelt out: a line of a million)
        narrative = f"{entry_info} / {remittance}" if entry_info and remittance else (
            entry_info or remittance)
    undone = status is LineStatus.RETURNED or status is LineStatus.REVERSED
    name, account = ((debtor_name, debtor_account) if credit else
                     (creditor_name, creditor_account))
    return statement_line(
        line, value or booking, booking or value,  # type: ignore[arg-type]
        Direction.CREDIT if credit else Direction.DEBIT, amount, bank_ref, end_to_end,
        account.strip(), name.strip(), narrative, status, fee_fen, None,
        (end_to_end or instruction_id.strip()) if undone else "")


def _on_end(read: _Read, elem: etree._Element) -> None:
    tag = elem.tag
    if tag == read.container_tag:
        read.containers += 1
        if read.containers > 1:
            common.refuse(elem.sourceline or 0, f"a second {read.container}: one per file")
        return
    parent = elem.getparent()
    if parent is not read.container_elem:   # (one proxy per node: ``is`` is the node)
        if parent is None or parent.tag != read.container_tag:
            return  # an Acct or Bal deeper down (none in these messages), read by its entry
        read.container_elem = parent
    if tag == read.entry_tag:
        read.lines.append(_entry(read, elem))
        if len(read.lines) > limits.statement_lines_max:
            common.check_line_count(len(read.lines))
        # Free what was read: the entry and the (already cleared) siblings before it.
        elem.clear()
        while elem.getprevious() is not None:
            del parent[0]
    elif tag == read.tags["Acct"]:
        _header(read, elem)
    else:
        _balance(read, elem)
        elem.clear()


def _schema_error_line(data: bytes, version: str) -> int:
    """Streamed validation reports no line; a file small enough is validated again as a tree,
    which does (0 when too large to do that cheaply)."""
    if len(data) > _RELOCATE_BYTES_MAX:
        return 0
    try:
        tree = etree.parse(io.BytesIO(data), etree.XMLParser(no_network=True, load_dtd=False))
    except etree.XMLSyntaxError as error:
        return error.lineno or 0
    validator = schema(version)
    if validator.validate(tree):
        return 0
    last = validator.error_log.last_error
    return last.line if last is not None else 0


#: An XML declaration's encoding, at the very start of the text (after a UTF-8 BOM).
_DECLARED = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")


def _check_text(data: bytes) -> None:
    # UTF-8 only (ISO 20022 XML is UTF-8): in UTF-16 (or a UTF-7 declared) a DOCTYPE is not
    # the bytes looked for below, and lxml's validating iterparse crashes the process (a
    # segfault) on an entity declared in one.
    text = data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    declared = _DECLARED.match(text)
    if not text.startswith(b"<") or (declared is not None and declared.group(1).upper()
                                      not in (b"UTF-8", b"UTF8")):
        common.refuse(1, "not XML text in UTF-8 (ISO 20022 messages are UTF-8)")
    if b"<!DOCTYPE" in data:
        common.refuse(0, "a DOCTYPE: ISO 20022 messages have none")


def _walk(data: bytes, version: str, container: str,
          validator: etree.XMLSchema | None) -> _Read:
    """The entries read while the file streams, with ``validator`` checking it on the way
    (its first error raised as ``XMLSyntaxError``) or unchecked."""
    ns = f"urn:iso:std:iso:20022:tech:xsd:{version}"
    read = _Read(ns=ns, container=container)
    tags = [f"{{{ns}}}{name}" for name in (container, "Acct", "Bal", "Ntry")]
    checked = {} if validator is None else {"schema": validator}
    # No resolve_entities=False here: with it lxml's iterparse closes a truncated file's open
    # elements silently instead of failing. Entities cannot be declared anyway: no DOCTYPE.
    context = etree.iterparse(
        io.BytesIO(data), events=("end",), tag=tags, no_network=True, load_dtd=False,
        huge_tree=False, **checked)
    for _, elem in context:
        _on_end(read, elem)
    if read.containers != 1:
        common.refuse(0, f"no {container} element in {version}")
    return read


def _walk_checked(data: bytes, version: str, container: str) -> _Read:
    """One pass, the XSD validating while the entries are read: a refusal names the first
    fault in the file, be it the schema's or the reader's."""
    try:
        return _walk(data, version, container, schema(version))
    except etree.XMLSyntaxError as error:
        line = error.lineno or _schema_error_line(data, version)
        common.refuse(line, f"{version} (XSD-checked): {error.msg}"[:300])


class _Validation:
    """The whole file checked against the XSD on another thread, while this one reads it.

    A parse with no tree and no Python callbacks runs without the GIL in lxml (libxml2's
    push parser, the schema's SAX validator plugged in), so the check takes the other core.
    A target parser does not raise a schema's error: any entry in its error log fails it.
    """

    def __init__(self, data: bytes, validator: etree.XMLSchema) -> None:
        self._valid = False
        self._thread = threading.Thread(target=self._check, args=(data, validator),
                                        name="camt-xsd", daemon=True)
        self._thread.start()

    def _check(self, data: bytes, validator: etree.XMLSchema) -> None:
        self._valid = camt_chunks.passes(data, camt_chunks.checking_parser(validator))

    def passed(self) -> bool:
        self._thread.join()
        return self._valid


def _stream(data: bytes, version: str, container: str) -> _Read:
    """The file read unchecked on this thread while the XSD checks it on another; a file
    that the check fails, or that the reading refuses, is read again the one-pass way
    (``_walk_checked``), so that its refusal is the one that pass names (the first fault in
    the file: the schema's line and reason, or the reader's)."""
    checking = _Validation(data, schema(version))
    try:
        read: _Read | None = _walk(data, version, container, None)
    except Exception:   # whatever it is, the one-pass read names it
        read = None
    if checking.passed() and read is not None:
        return read
    return _walk_checked(data, version, container)


def _chunked(data: bytes, version: str, container: str) -> _Read:
    """A plain file's entries read by ``camt_chunks`` while the schema checks its chunks on
    another thread; its header and balances from the message without them. Raises when
    anything is amiss."""
    read = _walk(camt_chunks.skeleton(data), version, container, None)
    if read.lines:   # an entry the cut missed ("<Ntry >" before the first "<Ntry>")
        raise camt_chunks.NotChunked("an entry in the head or the tail")
    lines = read.lines
    for chunk in camt_chunks.entries(data, version):
        lines.extend(_line(read, line, texts) for line, texts in chunk)
        common.check_line_count(len(lines))
    return read


def _entries(data: bytes, version: str, container: str) -> _Read:
    """A plain large file read in chunks; any other, or one the chunked read fails on
    (whatever the reason), read the tree way (``_stream``), which names a refusal."""
    _check_text(data)
    if camt_chunks.eligible(data):
        try:
            return _chunked(data, version, container)
        except Exception:
            pass
    return _stream(data, version, container)


def _period(read: _Read) -> tuple[date, date]:
    """The entries' and dated balances' first and last days, for a file that states none."""
    dates = [line.booking_date for line in read.lines] + list(read.balance_dates.values())
    if not dates:
        common.refuse(0, "no period, no entries and no dated balance")
    return min(dates), max(dates)


def _read(data: bytes, message: str, account_no: str | None) -> Statement:
    version, container = _MESSAGES[message]
    read = _entries(data, version, container)
    account = common.resolve_account(read.account, account_no)
    period = read.period or _period(read)
    stated = message == "camt.053"
    opening = read.balances.get("OPBD", read.balances.get("PRCD"))
    closing = read.balances.get("CLBD")
    if stated and (opening is None or closing is None):
        common.refuse(0, "a camt.053 statement needs an OPBD (or PRCD) and a CLBD balance")
    lines = tuple(read.lines)
    statement = Statement(
        source_format=message, statement_id=read.statement_id, account_no=account,
        currency=read.currency or "CNY", from_date=period[0], to_date=period[1],
        opening_balance_fen=opening if stated else 0,  # type: ignore[arg-type]
        closing_balance_fen=closing if stated else 0,  # type: ignore[arg-type]
        lines=lines, balances_stated=stated)
    if not stated:
        # A notification states no balance: its closing is its own movement (see Statement).
        statement = replace(statement, closing_balance_fen=statement.movement_fen)
    return common.check_balances(statement)


def read_camt053(data: bytes, account_no: str | None) -> Statement:
    """A camt.053.001.08 statement, XSD-checked while streamed (balances checked)."""
    return _read(data, "camt.053", account_no)


def read_camt054(data: bytes, account_no: str | None) -> Statement:
    """A camt.054.001.08 notification, XSD-checked while streamed (no balances stated)."""
    return _read(data, "camt.054", account_no)
