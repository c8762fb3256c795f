"""Packages in: a pacs.008.001.09 (credits, information) or pacs.003.001.08 (debits) message
read streaming with lxml ``iterparse``, validated against its official XSD while it is parsed,
each transaction taken and cleared as it ends, so a large file is never in memory whole (give
a binary file object rather than bytes to keep the file itself out of memory too).

One message is one package (BEPS: a 业务包 is one message): a file carries one Document, and
``read_package`` answers a tuple of one package. Mapped (``p:`` is the message's namespace):

  GrpHdr/MsgId                          message_id
  GrpHdr/NbOfTxs                        control_count
  GrpHdr/CtrlSum (else TtlIntrBkSttlmAmt)  control_sum_fen (CNY decimal → int fen, exactly)
  GrpHdr/IntrBkSttlmDt                  work_date (a transaction's own, if given, must agree)
  GrpHdr/InstgAgt/FinInstnId/ClrSysMmbId/MmbId   sender_bank (CNAPS code)
  GrpHdr/InstdAgt/FinInstnId/ClrSysMmbId/MmbId   receiver_bank
  GrpHdr/PmtTpInf/LclInstrm/Prtry       business type: BEPS-ORDINARY | BEPS-PERIODIC |
                                        BEPS-REALTIME (| BEPS-INFORMATION in a pacs.008); else
                                        the transactions' own, which must all agree
  CdtTrfTxInf | DrctDbtTxInf            one item each, item_no its place (1-based)
    PmtId/EndToEndId                    end_to_end_id
    IntrBkSttlmAmt (@Ccy CNY)           amount_fen
    DbtrAgt, CdtrAgt …/ClrSysMmbId/MmbId  debtor_bank, creditor_bank
    Dbtr/Nm, Cdtr/Nm                    debtor_name, creditor_name
    DbtrAcct, CdtrAcct Id/Othr/Id (or IBAN)  debtor_account, creditor_account
    PmtTpInf/CtgyPurp/Prtry "T+N"       a debit's debit_term_days (absent: T+0)

Refused whole, nothing read half: not well-formed, not valid against the XSD, a DOCTYPE, another
currency than CNY, a fraction of a fen → ``message_invalid`` with the line and the reason; an
unknown LclInstrm code → ``business_type_invalid``; a field the domain refuses (a bank code that
is not 12 digits, an end-to-end id with other characters than ``A-Z a-z 0-9 _ . : -``) →
``field_invalid`` with the field, the reason and the line. The package's own rules (R-S1, R-S2)
are checked at intake, not here.
"""

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import IO, Any, cast

from lxml import etree

from cunguan.clearing.iso20022 import fields
from cunguan.clearing.iso20022.schemas import VERSIONS, invalid, namespace, safe_parser, schema
from cunguan.clearing.rules.commands import item_from, package_from
from cunguan.clearing.rules.packages import Item, Package
from cunguan.clearing.rules.parameters import BusinessType
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.core import limits
from cunguan.core.fields import FieldInvalid

Source = bytes | bytearray | memoryview | IO[bytes]

#: What each readable message is: its version, its transaction element, debit or not.
_READABLE = {VERSIONS["pacs.008"]: ("CdtTrfTxInf", False),
             VERSIONS["pacs.003"]: ("DrctDbtTxInf", True)}
_NAMESPACE = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.[0-9]{3}\.[0-9]{3}\.[0-9]{2})")
#: Bytes read ahead to learn the message's namespace before its schema is chosen.
_SNIFF_BYTES = 8_192
_BANK = "FinInstnId/p:ClrSysMmbId/p:MmbId"
_MEMBER = "FinInstnId/ClrSysMmbId/MmbId"
_DIGITS = re.compile(r"[0-9]{1,15}", re.ASCII)


class _Prefixed(io.RawIOBase):
    """A file read once: first the bytes already read from it, then the rest, refused once
    past the size limit (a stream's size is not known before it is read)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head, self._rest, self._read = head, rest, len(head)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0:
                size = len(self._head)
            chunk, self._head = self._head[:size], self._head[size:]
            return chunk
        chunk = self._rest.read(size)
        self._read += len(chunk)
        _check_size(self._read)
        return chunk


#: An XML declaration's encoding, at the very start of the text (after a UTF-8 BOM).
_DECLARED = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_DOCTYPE = b"<!DOCTYPE"


class _NoDoctype(io.RawIOBase):
    """The message as the parser reads it, refused the moment a DOCTYPE appears in it: lxml's
    validating ``iterparse`` crashes the process (a segfault) on an entity declared in one,
    and a DTD is where XXE and "billion laughs" live. ISO 20022 messages have none."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream, self._tail, self._lines = stream, b"", 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        seen = self._tail + chunk
        at = seen.find(_DOCTYPE)
        if at >= 0:
            invalid(self._lines + seen.count(b"\n", 0, at) + 1,
                    "a DOCTYPE: ISO 20022 messages have none")
        self._lines += self._tail.count(b"\n")
        self._tail = seen[-(len(_DOCTYPE) - 1):]
        self._lines -= self._tail.count(b"\n")
        return chunk


def _check_encoding(head: bytes) -> None:
    """Only UTF-8 is parsed (ISO 20022 XML is UTF-8): text beginning with '<' after an
    optional UTF-8 BOM and white space, declaring no other encoding — so no UTF-16, UTF-7 or
    EBCDIC text can hide a DOCTYPE from ``_NoDoctype``."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if not text.startswith(b"<"):
        invalid(1, "not XML text in UTF-8")
    declared = _DECLARED.match(text)
    if declared is not None and declared.group(1).upper() not in (b"UTF-8", b"UTF8"):
        invalid(1, f"encoding {declared.group(1)[:20]!r}: ISO 20022 messages are UTF-8")


@dataclass
class _Read:
    """What the stream gathered."""

    ns: str
    debit: bool
    header: dict[str, Any] = field(default_factory=dict)
    header_types: set[str] = field(default_factory=set)
    header_day: str = ""
    tx_types: set[str] = field(default_factory=set)
    items: list[Item] = field(default_factory=list)
    roots: int = 0


def _open(data: Source) -> tuple[IO[bytes], bytes, int | None]:
    """The stream to parse, its first bytes, and its size when known."""
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        _check_size(len(raw))
        return io.BytesIO(raw), raw[:_SNIFF_BYTES], len(raw)
    if not hasattr(data, "read"):
        raise ClearingError(Refusal.FIELD_INVALID, "a message is bytes or a binary file",
                            field="data", reason="not bytes")
    head = data.read(_SNIFF_BYTES)
    if not isinstance(head, bytes):
        raise ClearingError(Refusal.FIELD_INVALID, "a message file is opened in binary mode",
                            field="data", reason="not bytes")
    _check_size(len(head))
    return cast(IO[bytes], _Prefixed(head, data)), head, None


def _check_size(size: int) -> None:
    if size > limits.clearing_message_bytes_max:
        raise ClearingError(Refusal.MESSAGE_TOO_LARGE,
                            f"{size} bytes > {limits.clearing_message_bytes_max}",
                            bytes=size, limit=limits.clearing_message_bytes_max)
    if size == 0:
        invalid(0, "the file is empty")


def _version(head: bytes) -> str:
    found = _NAMESPACE.search(head)
    if found is None:
        invalid(1, "not an ISO 20022 message (no urn:iso:std:iso:20022 namespace)")
    version = found.group(1).decode("ascii")
    if version not in _READABLE:
        invalid(1, f"{version}: packages come as {' or '.join(sorted(_READABLE))}")
    return version


def _text(elem: etree._Element, path: str, ns: str) -> str:
    return (elem.findtext(path, namespaces={"p": ns}) or "").strip()


def _amount(elem: etree._Element, path: str, ns: str, line: int, what: str) -> int:
    node = elem.find(path, namespaces={"p": ns})
    if node is None:
        invalid(line, f"{what} is missing")
    return fields.fen((node.text or "").strip(), node.get("Ccy"), node.sourceline or line, what)


def _header(read: _Read, hdr: etree._Element) -> None:
    ns, line = read.ns, hdr.sourceline or 0
    total = _text(hdr, "p:CtrlSum", ns)
    if total:
        control_sum = fields.fen(total, None, line, "CtrlSum")
    elif hdr.find("p:TtlIntrBkSttlmAmt", namespaces={"p": ns}) is not None:
        control_sum = _amount(hdr, "p:TtlIntrBkSttlmAmt", ns, line, "TtlIntrBkSttlmAmt")
    else:
        invalid(line, "GrpHdr states neither CtrlSum nor TtlIntrBkSttlmAmt")
    count = _text(hdr, "p:NbOfTxs", ns)
    read.header_day = _text(hdr, "p:IntrBkSttlmDt", ns)
    kind = _text(hdr, "p:PmtTpInf/p:LclInstrm/p:Prtry", ns)
    if kind:
        read.header_types.add(kind)
    read.header = {
        "message_id": _text(hdr, "p:MsgId", ns),
        "sender_bank": _text(hdr, f"p:InstgAgt/p:{_BANK}", ns) or None,
        "receiver_bank": _text(hdr, f"p:InstdAgt/p:{_BANK}", ns) or None,
        "control_count": int(count) if _DIGITS.fullmatch(count) else count,
        "control_sum_fen": control_sum, "line": line}


#: The parts of a transaction an item is made of; the rest (remittance, regulatory reporting,
#: supplementary data) is validated by the XSD and not read.
_WANTED = frozenset({"PmtId", "PmtTpInf", "IntrBkSttlmAmt", "IntrBkSttlmDt", "Dbtr", "DbtrAcct",
                     "DbtrAgt", "Cdtr", "CdtrAcct", "CdtrAgt"})


def _leaves(tx: etree._Element, ns: str) -> dict[str, etree._Element]:
    """A transaction's wanted leaf elements by their path (``Dbtr/Nm``), the first of each:
    one pass over its descendants in document order, each element's path its parent's and
    its own name (lxml iterates in C; a recursive walk in Python cost about twice as much)."""
    cut = len(ns) + 2
    found: dict[str, etree._Element] = {}
    prefixes: dict[etree._Element, str] = {tx: ""}
    for elem in tx.iterdescendants():
        tag = elem.tag
        if not isinstance(tag, str):    # a comment or processing instruction
            continue
        prefix = prefixes.get(elem.getparent())
        if prefix is None:              # under a part not read
            continue
        name = tag[cut:]
        if not prefix and name not in _WANTED:
            continue
        path = prefix + name
        if len(elem):
            prefixes[elem] = path + "/"
        else:
            found.setdefault(path, elem)
    return found


def _item(read: _Read, tx: etree._Element) -> Item:
    line, no = tx.sourceline or 0, len(read.items) + 1
    leaves = _leaves(tx, read.ns)

    def text(path: str) -> str:
        node = leaves.get(path)
        return "" if node is None else (node.text or "").strip()

    kind = text("PmtTpInf/LclInstrm/Prtry")
    if kind:
        read.tx_types.add(kind)
    day = text("IntrBkSttlmDt")
    if day and read.header_day and day != read.header_day:
        invalid(line, f"IntrBkSttlmDt {day} differs from the group's {read.header_day}")
    read.header_day = read.header_day or day
    amount = leaves.get("IntrBkSttlmAmt")
    if amount is None:
        invalid(line, "IntrBkSttlmAmt is missing")
    raw = {"item_no": no, "end_to_end_id": text("PmtId/EndToEndId"),
           "debtor_bank": text(f"DbtrAgt/{_MEMBER}") or None,
           "debtor_account": text("DbtrAcct/Id/Othr/Id") or text("DbtrAcct/Id/IBAN") or None,
           "debtor_name": text("Dbtr/Nm"),
           "creditor_bank": text(f"CdtrAgt/{_MEMBER}") or None,
           "creditor_account": text("CdtrAcct/Id/Othr/Id") or text("CdtrAcct/Id/IBAN") or None,
           "creditor_name": text("Cdtr/Nm"),
           "amount_fen": fields.fen((amount.text or "").strip(), amount.get("Ccy"),
                                    amount.sourceline or line, "IntrBkSttlmAmt"),
           "debit_term_days": (fields.debit_term(text("PmtTpInf/CtgyPurp/Prtry"), line)
                               if read.debit else 0)}
    try:
        return item_from(raw, f"items[{no}]")
    except FieldInvalid as exc:
        raise _field_error(exc, line) from exc


def _field_error(exc: FieldInvalid, line: int) -> ClearingError:
    return ClearingError(Refusal.FIELD_INVALID, f"line {line}: {exc.message}",
                         line=line, **exc.details)


def _on_event(read: _Read, event: str, elem: etree._Element, tx_tag: str) -> None:
    local = elem.tag[len(read.ns) + 2:]   # iterparse gives only this namespace's tags
    if event == "start":
        if local == "Document":
            read.roots += 1
            if elem.getroottree().docinfo.doctype:
                invalid(1, "a DOCTYPE: ISO 20022 messages have none")
        return
    if local == "GrpHdr":
        _header(read, elem)
    elif local == tx_tag:
        read.items.append(_item(read, elem))
        # Free what was read: this transaction and the (already cleared) ones before it.
        elem.clear()
        parent = elem.getparent()
        while parent is not None and elem.getprevious() is not None:
            del parent[0]


def _events(stream: IO[bytes], version: str, tags: list[str]
            ) -> Iterator[tuple[str, etree._Element]]:
    # No resolve_entities=False: with it lxml's iterparse closes a truncated file's open
    # elements silently instead of failing. Entities cannot be declared anyway: no DOCTYPE.
    context = etree.iterparse(stream, events=("start", "end"), tag=tags,
                              schema=schema(version), no_network=True, load_dtd=False,
                              huge_tree=False)
    yield from context


def _relocate(data: Source, version: str, size: int | None) -> int:
    """Streamed validation reports no line: a file small enough is validated again as a
    tree, which does (0 when the file is too large to do that cheaply, or not seekable)."""
    if isinstance(data, bytes | bytearray | memoryview):
        source: IO[bytes] = io.BytesIO(bytes(data))
    elif hasattr(data, "seekable") and data.seekable():
        data.seek(0, io.SEEK_END)
        size = data.tell()
        data.seek(0)
        source = data
    else:
        return 0
    if size is None or size > limits.clearing_message_relocate_bytes_max:
        return 0
    try:
        tree = etree.parse(source, safe_parser())
    except etree.XMLSyntaxError as error:
        return error.lineno or 0
    validator = schema(version)
    if validator.validate(tree):
        return 0
    last = validator.error_log.last_error
    return last.line if last is not None else 0


def _business_type(read: _Read) -> BusinessType:
    codes = read.header_types or read.tx_types
    if not codes or len(codes | read.tx_types) > 1:
        line = read.header.get("line", 0)
        raise ClearingError(Refusal.BUSINESS_TYPE_INVALID,
                            f"line {line}: one LclInstrm/Prtry for the package, found "
                            f"{sorted(codes | read.tx_types) or 'none'}", line=line)
    return fields.business_type(next(iter(codes)), debit=read.debit,
                                line=read.header.get("line", 0))


def _package(read: _Read) -> Package:
    header = dict(read.header)
    line = header.pop("line", 0)
    header["work_date"] = read.header_day or None
    header["business_type"] = _business_type(read).value
    try:
        shell = package_from({**header, "items": []})
    except FieldInvalid as exc:
        raise _field_error(exc, line) from exc
    return replace(shell, items=tuple(read.items))


def read_package(data: Source) -> tuple[Package, ...]:
    """The package a pacs.008 or pacs.003 message carries, XSD-checked while streamed."""
    stream, head, size = _open(data)
    version = _version(head)
    _check_encoding(head)
    stream = cast(IO[bytes], _NoDoctype(stream))
    tx_tag, debit = _READABLE[version]
    ns = namespace(version)
    read = _Read(ns=ns, debit=debit)
    tags = [f"{{{ns}}}{name}" for name in ("Document", "GrpHdr", tx_tag)]
    try:
        for event, elem in _events(stream, version, tags):
            _on_event(read, event, elem, tx_tag)
    except etree.XMLSyntaxError as error:
        line = error.lineno or _relocate(data, version, size)
        invalid(line, f"{version} (XSD-checked): {error.msg}")
    if read.roots != 1 or not read.header:
        invalid(0, f"no {version} Document")
    return (_package(read),)
