"""The camt reader as it was before the import was made faster (commit 76cec66,
``src/cunguan/reconcile/formats/camt.py``), kept verbatim as the oracle the new reader is
compared with (``test_camt_reader_before_after.py``): one pass, the XSD validating while the
file streams, a ``StatementLine`` built per entry. Two things changed since: the schema's
location (the package's ``xsd/``), and a return's reason, now RtrInf/Rsn's code (Cd, else
Prtry) as the reader gives it, where it took RtrInf's first Cd (OrgnlBkTxCd's domain, when
given).
"""


import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache

from lxml import etree

from cunguan.core import limits
from cunguan.reconcile.formats import common
from cunguan.reconcile.formats.camt import _XSD
from cunguan.reconcile.rules.statements import Direction, LineStatus, Statement, StatementLine

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

    def __post_init__(self) -> None:
        # Texts of the schema are bounded (Max35Text … Max500Text): no length check needed.
        self.tags = {name: f"{{{self.ns}}}{name}" for name in (*_ENTRY_TAGS, "Acct", "Bal")}
        self.container_tag = f"{{{self.ns}}}{self.container}"
        self.entry_tag = f"{{{self.ns}}}Ntry"
        self.wanted = tuple(self.tags[name] for name in _ENTRY_TAGS if name not in _INNER)


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


def _date_of(elem: etree._Element | None, line: int, what: str) -> date | None:
    """A DateAndDateTime2Choice's date (its Dt, or its DtTm's date)."""
    if elem is None or not len(elem):
        return None
    text = (elem[0].text or "").strip()
    if len(text) >= 10 and text[4] == "-" and text[7] == "-" and text[:10].isascii():
        try:
            found = date.fromisoformat(text[:10])
        except ValueError:
            pass
        else:   # beyond the bank's years: parse_date below names the refusal
            if limits.date_earliest <= found <= limits.date_latest:
                return found
    return _date(text, line, what)


def _entry(read: _Read, entry: etree._Element) -> StatementLine:
    """One Ntry, read in one pass over its elements: the first of each name (the schema's
    order puts the entry's own Amt, CdtDbtInd, AcctSvcrRef before its details' ones)."""
    t = read.tags
    first: dict[str, etree._Element] = {}
    for elem in entry.iter(*read.wanted):  # filtered in C: no proxy for the rest
        first.setdefault(elem.tag, elem)

    def text(name: str) -> str:
        found = first.get(t[name])
        return (found.text or "").strip() if found is not None else ""
    line = entry.sourceline or 0
    amount = common.decimal_fen(text("Amt"), line, "Amt")
    if amount <= 0:   # the XSD's decimal takes a sign; the direction is CdtDbtInd's
        common.refuse(line, "the amount is zero" if amount == 0 else
                      "a negative amount: an entry's direction is its CdtDbtInd")
    currency = first[t["Amt"]].get("Ccy", "")  # Amt is there: decimal_fen("") refused
    read.currency = read.currency or currency
    if currency != read.currency:
        common.refuse(line, f"an entry in {currency} on a {read.currency} statement")
    credit = text("CdtDbtInd") == "CRDT"
    booking = _date_of(first.get(t["BookgDt"]), line, "BookgDt")
    value = _date_of(first.get(t["ValDt"]), line, "ValDt")
    if booking is None and value is None:
        common.refuse(line, "an entry with neither booking nor value date")
    bank_ref = text("AcctSvcrRef") or text("NtryRef")
    if not bank_ref:
        common.refuse(line, "an entry without AcctSvcrRef or NtryRef")
    end_to_end = text("EndToEndId")
    end_to_end = "" if end_to_end == "NOTPROVIDED" else end_to_end
    sts = first.get(t["Sts"])
    if sts is None:  # the XSD refuses it too, but only after the entry's end event
        common.refuse(line, "an entry without Sts")
    returned = first.get(t["RtrInf"])
    status = _status(_first_text(sts, t["Cd"], t["Prtry"]) or (sts.text or "").strip(),
                     returned is not None, text("RvslInd"))
    party = first.get(t["Dbtr" if credit else "Cdtr"])
    party_account = first.get(t["DbtrAcct" if credit else "CdtrAcct"])
    fee = text("TtlChrgsAndTaxAmt")
    fee_fen = common.decimal_fen(fee, line, "Chrgs") if fee else 0
    if fee_fen < 0:
        common.refuse(line, "negative charges")
    narrative = " / ".join(x for x in (
        text("AddtlNtryInf"), text("Ustrd"),
        _first_text(None if returned is None else returned.find(t["Rsn"]), t["Cd"], t["Prtry"]),
        _first_text(returned, t["AddtlInf"])) if x)
    undone = status in (LineStatus.RETURNED, LineStatus.REVERSED)
    return StatementLine(
        line_no=line, value_date=value or booking,  # type: ignore[arg-type]
        booking_date=booking or value,  # type: ignore[arg-type]
        direction=Direction.CREDIT if credit else Direction.DEBIT, amount_fen=amount,
        bank_ref=bank_ref, end_to_end_ref=end_to_end,
        counterparty_account=_first_text(party_account, t["IBAN"], t["Id"]),
        counterparty_name=_first_text(party, t["Nm"]), description=narrative,
        status=status, fee_fen=fee_fen,
        original_ref=(end_to_end or text("InstrId")) if undone else "")


def _on_end(read: _Read, elem: etree._Element) -> None:
    tag = elem.tag
    if tag == read.container_tag:
        read.containers += 1
        if read.containers > 1:
            common.refuse(elem.sourceline or 0, f"a second {read.container}: one per file")
        return
    parent = elem.getparent()
    if parent is None or parent.tag != read.container_tag:
        return  # an Acct or Bal deeper down (none in these messages), read by its entry
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


def _stream(data: bytes, version: str, container: str) -> _Read:
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
    ns = f"urn:iso:std:iso:20022:tech:xsd:{version}"
    read = _Read(ns=ns, container=container)
    tags = [f"{{{ns}}}{name}" for name in (container, "Acct", "Bal", "Ntry")]
    # No resolve_entities=False here: with it lxml's iterparse closes a truncated file's open
    # elements silently instead of failing. Entities cannot be declared anyway: no DOCTYPE.
    context = etree.iterparse(
        io.BytesIO(data), events=("end",), tag=tags, schema=schema(version),
        no_network=True, load_dtd=False, huge_tree=False)
    try:
        for _, elem in context:
            _on_end(read, elem)
    except etree.XMLSyntaxError as error:
        line = error.lineno or _schema_error_line(data, version)
        common.refuse(line, f"{version} (XSD-checked): {error.msg}"[:300])
    if read.containers != 1:
        common.refuse(0, f"no {container} element in {version}")
    return read


def _read(data: bytes, message: str, account_no: str | None) -> Statement:
    version, container = _MESSAGES[message]
    read = _stream(data, version, container)
    account = common.resolve_account(read.account, account_no)
    dates = [line.booking_date for line in read.lines] + list(read.balance_dates.values())
    if read.period is None and not dates:
        common.refuse(0, "no period, no entries and no dated balance")
    period = read.period or (min(dates), max(dates))
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
