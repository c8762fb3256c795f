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
``<`` in the file begins a tag; no ``SplmtryData``, the schema's only open content
(``xs:any``), so ``Ntry`` can only be a child of ``Stmt``/``Ntfctn``; a first ``<Ntry>``
before the last ``</Ntry>`` (at least one chunk), and a head and tail of at most
``FRAME_BYTES_MAX``. A chunk is read only as entries of the usual shape one after another
with nothing but white space between them (so no second statement's header, no entry in
another form): with its document valid, it is a run of whole ``Ntry`` children of the one
statement, the head leaving the statement open and the tail closing it, the same bytes in
every chunk. The schema has no identity constraint, no ID and no bound on ``Ntry``, so head +
all the entries + tail is valid exactly when each head + chunk + tail is. The one check the
chunks skip is libxml2's limit on a text node (only a tree builds them): a chunk long enough
to hold one over it is left to the tree reader.

**Why the pattern reads what the tree reads.** In a valid plain file every ``<Ntry>`` starts an
entry and its first ``</Ntry>`` ends it (no ``Ntry`` inside an entry), so a match is exactly
one entry. The pattern takes only the usual shape, element by element in the schema's order,
with no attribute but an amount's ``Ccy="XXX"``, and texts without ``&`` (an entity to
expand) or CR (a line end to normalise): there each group is the element's text as libxml2
gives it, and each "first such element" of the tree reader is the one the pattern names (the
XSD fixes where each name can be; ``BkTxCd``, which holds none of them, is skipped to its end
tag). Any other shape in a chunk (a second transaction, a structured remittance, a tax party)
makes the file one for the tree reader. The line numbers are the tree's: a start tag's line
(``<Ntry>`` is on one) counted from the newlines before it, and from line 65,535 on, where
libxml2 keeps no element line, its first child's text's (``_tree_line``).
``test_camt_chunks.py`` and ``test_camt_chunks_hostile.py`` read files both ways.
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
#: XML's white space, the only text between elements of element-only content.
_SPACE = " \t\r\n"
#: libxml2 refuses a text node this long unless told ``huge_tree`` (XML_MAX_TEXT_LENGTH);
#: only the tree reader builds text nodes, so a chunk this long (which could hold one) is
#: left to it.
_TEXT_BYTES_MAX = 10_000_000
#: From this line on libxml2 stores an element's line as 65,535 (16 bits); see _tree_line.
_LINE_SATURATED = 65_535
#: libxml2 hands a text to its tree builder in one call up to 300 bytes (a character up to 3
#: in this reader's texts): a first text this long or shorter has one line, its end's.
_SAX_TEXT_CHARS_MAX = 100


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
    first, last = data.index(_START), data.rindex(_END)
    if first >= last or first + len(data) - last > FRAME_BYTES_MAX:
        return False   # (no chunk, so no check of the frame; or a frame copied at length)
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
    """The chunk's entries (``line`` is the chunk's first byte's): entry after entry with
    nothing but XML's white space between them, or ``NotChunked`` (another shape, an end tag
    written ``</Ntry >``, a prefix, a second statement's header between two entries)."""
    if end - start >= _TEXT_BYTES_MAX:
        raise NotChunked("a chunk that may hold a text node libxml2 refuses")
    text = data[start:end].decode()
    found: list[tuple[int, tuple[str, ...]]] = []
    at = pos = 0
    while (tag := text.find("<", pos)) >= 0:
        if text[pos:tag].strip(_SPACE) or (match := _ENTRY.match(text, tag)) is None:
            raise NotChunked("an entry not of the usual shape, or something between two")
        line += text.count("\n", at, tag)
        at, pos = tag, match.end()
        found.append((_tree_line(text, tag, line) if line >= _LINE_SATURATED else line,
                      match.groups("")))
    if text[pos:].strip(_SPACE):
        raise NotChunked("something after the last entry")
    if not checked.result():
        raise NotChunked("a chunk the schema refuses")
    return found


def _tree_line(text: str, tag: int, line: int) -> int:
    """The line the tree reader gives an entry whose ``<Ntry>`` is on ``line`` (65,535 or
    later): libxml2 keeps an element's line in 16 bits, so ``sourceline`` is then the line
    of its first child's text, that is, where libxml2 stood when that text ended. Answered
    for the two usual layouts (white space after ``<Ntry>``; none, and a short first text);
    any other raises ``NotChunked``."""
    inner = tag + len("<Ntry>")
    first = text.find("<", inner)
    if first > inner:   # the white space after <Ntry>, one text node (in one SAX call)
        if first - inner > _SAX_TEXT_CHARS_MAX or text[inner:first].strip(_SPACE):
            raise NotChunked("long white space at an entry's start")
        return line + text.count("\n", inner, first)
    opened = text.find(">", inner)   # the first child's start tag; its text up to "<"
    closed = text.find("<", opened)
    if not 0 < closed - opened - 1 <= _SAX_TEXT_CHARS_MAX:
        raise NotChunked("an entry's first text empty or long")
    return line + text.count("\n", opened, closed)


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _forked() -> None:
    """In a forked child: the parent's threads are not there, and a lock another of its
    threads held is held for ever."""
    global _pools_lock  # noqa: PLW0603 - a new lock for the child
    _pools_lock = threading.Lock()
    _pools.clear()


os.register_at_fork(after_in_child=_forked)


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
