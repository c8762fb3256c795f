"""The official XSDs shipped in ``xsd/`` (see its NOTICE), their namespaces and the refusal of a
message that is not well-formed or not valid against its schema (``message_invalid``, with the
line and the schema's reason)."""

import io
from functools import cache
from pathlib import Path
from typing import NoReturn

from lxml import etree

from cunguan.clearing.rules.refusals import ClearingError, Refusal

_XSD = Path(__file__).resolve().parent / "xsd"

#: Each message this layer reads or writes, by its short name, with the version shipped.
VERSIONS = {
    "pacs.002": "pacs.002.001.11",
    "pacs.003": "pacs.003.001.08",
    "pacs.004": "pacs.004.001.10",
    "pacs.007": "pacs.007.001.10",
    "pacs.008": "pacs.008.001.09",
    "camt.029": "camt.029.001.14",
    "camt.053": "camt.053.001.08",
    "camt.056": "camt.056.001.12",
}


def namespace(version: str) -> str:
    return f"urn:iso:std:iso:20022:tech:xsd:{version}"


@cache
def schema(version: str) -> etree.XMLSchema:
    """The official XSD of a message version, parsed once (no network, no DTD)."""
    parser = etree.XMLParser(no_network=True, load_dtd=False, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(_XSD / f"{version}.xsd"), parser))


def invalid(line: int, reason: str) -> NoReturn:
    """The message is refused whole: ``message_invalid`` naming the line (0: the whole file)."""
    reason = reason[:300]
    raise ClearingError(Refusal.MESSAGE_INVALID, f"line {line}: {reason}", line=line,
                        reason=reason)


def safe_parser() -> etree.XMLParser:
    """A parser that fetches nothing and reads no DTD (ISO 20022 messages have none)."""
    return etree.XMLParser(no_network=True, load_dtd=False, resolve_entities=False,
                           huge_tree=False)


def validate(data: bytes, version: str) -> None:
    """Refuses ``data`` unless it is a well-formed ``version`` message valid against its XSD
    (the whole document as a tree: for messages this layer writes, and for tests)."""
    try:
        tree = etree.parse(io.BytesIO(data), safe_parser())
    except etree.XMLSyntaxError as error:
        invalid(error.lineno or 0, error.msg or "not well-formed")
    if tree.docinfo.doctype:
        invalid(1, "a DOCTYPE: ISO 20022 messages have none")
    validator = schema(version)
    if not validator.validate(tree):
        last = validator.error_log.last_error
        invalid(last.line if last is not None else 0,
                f"{version}: {last.message if last is not None else 'not valid'}")
