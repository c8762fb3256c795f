"""A large camt.053/camt.054 file read in chunks: the XSD checks each chunk on a worker
thread while this thread reads the entries' texts with one pattern.

The tree reader (``camt._walk``) reads each entry through ~16 lxml element proxies under the
GIL, and that alone takes longer than lxml takes to parse the file. Here the schema check
runs in libxml2 without the GIL (a parse that builds nothing and calls no Python), and the
entries are read by ``_ENTRY``, a regular expression of the entry's usual shape whose groups
are the texts ``camt._line`` takes (``camt.ENTRY_TEXTS``). A file this reader cannot vouch
for raises ``NotChunked``, and the caller reads it the tree way, which also names a refusal.

**The cut.** The head is the file up to its first ``<Ntry>``, the tail what follows its last
``</Ntry>``, the entries between are cut after a ``</Ntry>`` about every ``CHUNK_BYTES``, and
each chunk is checked as ``head + chunk + tail``: the whole message with only those entries.

**Why every chunk valid means the file valid.** Only plain files are cut (``eligible``): no
comment, CDATA section, processing instruction (but the declaration) or DOCTYPE, so every
``<`` in the file begins a tag; and no ``SplmtryData``, the schema's only open content
(``xs:any``), so ``Ntry`` can only be a child of ``Stmt``/``Ntfctn`` (one ``Ntry*`` run in the
schema's sequence). A valid chunk document therefore has its chunk as a run of whole ``Ntry``
children of the statement (the head leaves the statement open, the tail closes it: the same
bytes in every chunk). The schema has no identity constraint, no ID and no bound on ``Ntry``,
so head + all the entries + tail is valid exactly when each head + chunk + tail is.

**Why the pattern reads what the tree reads.** In a valid plain file every ``<Ntry>`` starts an
entry and its first ``</Ntry>`` ends it (no ``Ntry`` inside an entry), so a match is exactly
one entry; when a chunk has as many matches as ``</Ntry>``, every entry matched. The pattern
takes only the usual shape, element by element in the schema's order, with no attribute but
an amount's ``Ccy="XXX"``, and texts without ``&`` (an entity to expand) or CR (a line end
to normalise): there each group is the element's text as libxml2 gives it, and each "first
such element" of the tree reader is the one the pattern names (the XSD fixes where each name
can be; ``BkTxCd``, which holds none of them, is skipped to its end tag). Any other shape in a
chunk (a second transaction, a structured remittance, a tax party) makes the file one for the
tree reader. The line numbers are libxml2's (a start tag's line: ``<Ntry>`` is on one) counted
from the newlines before the match. ``test_camt_chunks.py`` reads generated files both ways.
"""

import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from lxml import etree

from cunguan.core import limits

_BOM = b"\xef\xbb\xbf"
_XSD = Path(__file__).resolve().parent / "xsd"
#: Files smaller than this are read the tree way (a chunk's check costs more than it saves).
CHUNKED_BYTES_MIN = 4 * 1024 * 1024
#: About this many bytes of entries to a chunk (about 7,500 entries of the bench's file).
CHUNK_BYTES = 4 * 1024 * 1024
#: The most the head and tail (copied and checked with every chunk) may hold together: a
#: statement's header and balances take a few KiB; a file with more is read the tree way.
FRAME_BYTES_MAX = 256 * 1024
_START, _END = b"<Ntry>", b"</Ntry>"


def _entry_pattern() -> "re.Pattern[str]":
    # Possessive: a text stops at "<", XML's white space between elements at the next tag.
    text, space = r"([^<&\r]*+)", r"[ \t\r\n]*+"

    def optional(part: str) -> str:
        return f"(?:{part}{space})?"

    def leaf(tag: str) -> str:
        return f"<{tag}>{text}</{tag}>"

    def wrapped(outer: str, inner: str) -> str:
        return f"<{outer}>{space}{inner}{space}</{outer}>"

    def party(role: str) -> str:   # its name; its account's IBAN or other id, one group
        account = (f"(?:<IBAN>|<Othr>{space}<Id>){text}(?:</IBAN>|</Id>{space}</Othr>)")
        return (optional(wrapped(role, wrapped("Pty", leaf("Nm"))))
                + optional(wrapped(f"{role}Acct", wrapped("Id", account))))
    choice = f"<(?:Dt|DtTm)>{text}</(?:Dt|DtTm)>"
    details = (
        optional(f"<Refs>{space}" + optional(leaf("InstrId")) + optional(leaf("EndToEndId"))
                 + "</Refs>")
        + optional(f"<RltdPties>{space}" + party("Dbtr") + party("Cdtr") + "</RltdPties>")
        + optional(wrapped("RmtInf", leaf("Ustrd")))
        + optional(f"(<RtrInf>){space}" + wrapped("Rsn", leaf("Cd")) + space
                   + optional(leaf("AddtlInf")) + "</RtrInf>"))
    return re.compile(
        f"<Ntry>{space}" + optional(leaf("NtryRef"))
        + f'<Amt Ccy="([A-Z]{{3}})">{text}</Amt>{space}' + leaf("CdtDbtInd") + space
        + optional(leaf("RvslInd")) + wrapped("Sts", f"<(?:Cd|Prtry)>{text}</(?:Cd|Prtry)>")
        + space + optional(wrapped("BookgDt", choice)) + optional(wrapped("ValDt", choice))
        + optional(leaf("AcctSvcrRef"))
        # Skipped to its end tag, never past an entry's start or end: on a file that is not
        # valid (the check may not have answered yet) each try stays within one entry.
        + optional(r"<BkTxCd>[^<]*+(?:<(?!/BkTxCd>|/?Ntry>)[^<]*+)*+</BkTxCd>")
        + optional(wrapped("Chrgs", f'<TtlChrgsAndTaxAmt Ccy="[A-Z]{{3}}">{text}'
                                    "</TtlChrgsAndTaxAmt>"))
        + optional(wrapped("NtryDtls", f"<TxDtls>{space}{details}</TxDtls>"))
        + optional(leaf("AddtlNtryInf")) + "</Ntry>")


#: An entry of the usual shape; its groups are ``camt.ENTRY_TEXTS``.
_ENTRY = _entry_pattern()


class NotChunked(Exception):
    """The file is not read this way (not plain, a chunk not valid, or not the usual shape)."""


def eligible(data: bytes) -> bool:
    """A plain file (see the module's text), large enough to be worth the thread."""
    if len(data) < CHUNKED_BYTES_MIN or _START not in data or _END not in data:
        return False
    if data.index(_START) + len(data) - data.rindex(_END) > FRAME_BYTES_MAX:
        return False
    # ("!" and "?" are rare: looking for them first spares a slow search for "<!" and "<?")
    declaration = data.removeprefix(_BOM).startswith(b"<?xml")
    if b"!" in data and b"<!" in data:
        return False
    if b"?" in data and data.count(b"<?") != (1 if declaration else 0):
        return False
    if b"SplmtryData" in data:
        return False
    # libxml2 counts a lone CR as a line end, the pattern's lines count LFs: CRLF is fine.
    return b"\r" not in data or data.count(b"\r") == data.count(b"\r\n")


def skeleton(data: bytes) -> bytes:
    """The head and the tail: the message without its entries (its header and balances)."""
    return data[:data.index(_START)] + data[data.rindex(_END) + len(_END):]


def entries(data: bytes, version: str) -> Iterator[list[tuple[int, tuple[str, ...]]]]:
    """Each chunk's entries in file order, once the schema has passed the chunk: (line
    number, texts) each. Raises ``NotChunked`` when a chunk is not valid, or when an entry
    is not of the usual shape."""
    first, last = data.index(_START), data.rindex(_END) + len(_END)
    head, tail = data[:first], data[last:]
    pool = _pool()
    ahead: list[tuple[int, int, int, Future[bool]]] = []
    line, counted_to = 1, 0
    for start, end in _cuts(data, first, last):
        line += data.count(b"\n", counted_to, start)
        counted_to = start
        document = head + data[start:end] + tail
        ahead.append((start, end, line, pool.submit(_valid, document, version)))
        if len(ahead) > limits.statement_check_threads + 1:
            yield _read(data, *ahead.pop(0))
    while ahead:
        yield _read(data, *ahead.pop(0))


def _cuts(data: bytes, first: int, last: int) -> Iterator[tuple[int, int]]:
    start = first
    while start < last:
        end = data.find(_END, min(start + CHUNK_BYTES, last - len(_END)), last)
        end = last if end < 0 else end + len(_END)
        yield start, end
        start = end


def _read(data: bytes, start: int, end: int, line: int,
          checked: "Future[bool]") -> list[tuple[int, tuple[str, ...]]]:
    """The chunk's entries (``line`` is the chunk's first byte's)."""
    text = data[start:end].decode()
    at: int = 0
    found: list[tuple[int, tuple[str, ...]]] = []
    for match in _ENTRY.finditer(text):
        line += text.count("\n", at, match.start())
        at = match.start()
        found.append((line, match.groups("")))
    if len(found) != text.count("</Ntry>"):
        raise NotChunked("an entry not of the usual shape")
    if not checked.result():
        raise NotChunked("a chunk the schema refuses")
    return found


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """The checking threads, kept for the process (each keeps its own schema and parser); a
    forked child gets its own, its parent's threads not being there."""
    pid = os.getpid()
    with _pools_lock:
        if pid not in _pools:
            _pools.clear()
            _pools[pid] = ThreadPoolExecutor(limits.statement_check_threads,
                                             thread_name_prefix="camt-check")
        return _pools[pid]


class _NoTarget:
    """A parser target that takes no events: the parse builds nothing and calls no Python."""

    def close(self) -> None:
        return None


def checking_parser(schema: etree.XMLSchema) -> etree.XMLParser:
    """A parser that only checks against ``schema`` (``passes``); one thread's own."""
    return etree.XMLParser(schema=schema, target=_NoTarget(), no_network=True,
                           load_dtd=False, huge_tree=False)


def passes(document: bytes, parser: etree.XMLParser) -> bool:
    """The document well-formed and valid: libxml2's push parser with the schema's SAX
    validator plugged in, building nothing and calling no Python, so without the GIL. A
    target parser does not raise a schema's error: any entry in its error log fails it."""
    try:
        etree.fromstring(document, parser)
    except Exception:
        return False
    return len(parser.error_log) == 0


_local = threading.local()


def _valid(document: bytes, version: str) -> bool:
    parsers = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    if version not in parsers:   # this thread's own schema and parser (lxml shares neither)
        schema = etree.XMLSchema(etree.parse(str(_XSD / f"{version}.xsd")))
        parsers[version] = checking_parser(schema)
    return passes(document, parsers[version])
