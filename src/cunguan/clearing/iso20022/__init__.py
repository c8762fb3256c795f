"""ISO 20022 messages (pacs.008, pacs.003, pacs.002, pacs.004, pacs.007, camt.056, camt.029,
camt.053): read and written, each checked against its official XSD; large files streamed.

A layer of its own between clearing's store and its rules: pure (lxml and the shipped XSDs, no
database, no web), it turns messages into the rules' records (``read_package``) and plain
records into messages (``writer``). See docs/API.md, "ISO 20022 messages (clearing)"."""

from cunguan.clearing.iso20022.reader import read_package
from cunguan.clearing.iso20022.schemas import VERSIONS, validate

__all__ = ["VERSIONS", "read_package", "validate"]
