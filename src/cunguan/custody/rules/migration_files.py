"""Migration files (存量迁移, R-C20): read whole or refused whole, pure.

A file is read whole or refused whole: its encoding (UTF-8 with or without a BOM, GBK or
GB18030, the encodings Chinese spreadsheets save in), its characters (no control characters
but tab and line ends), its header (exactly the file's columns) and every row's cells (as many
as the header's). A refusal names the line and the reason. A control character is a file's
fault, not a row's: no one types a NUL or an ESC into a name, a spreadsheet does not save
one — it comes from a damaged or mis-encoded export, whose other rows cannot be trusted either
(a bank takes a batch file's format whole or not at all, and judges the rows of a file whose
format is sound one by one). Likewise a file that is UTF-8 but for some bytes is a damaged
UTF-8 file: it is refused, not re-read as GBK (which would turn every name into others).
"""

import csv
import io
import re
from typing import Final

from cunguan.core import limits

USER_COLUMNS = ("user_id", "role", "name", "id_kind", "id_no", "mobile", "card_no", "balance")
PROJECT_COLUMNS = ("project_id", "borrower_user_id", "amount", "annual_rate", "months",
                   "method", "lent_on", "periods_paid")
CLAIM_COLUMNS = ("claim_id", "project_id", "holder_user_id", "principal", "outstanding")
#: The files of a migration, in the order they are read and applied, with their columns.
FILES = {"users": USER_COLUMNS, "projects": PROJECT_COLUMNS, "claims": CLAIM_COLUMNS}


#: Control characters (Unicode category Cc) but tab, line feed and carriage return.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Characters of three UTF-8 bytes or more, but U+FFFD (what a failed sequence decodes as).
_WIDE: Final = re.compile("[\u0800-\ufffc\ufffe\uffff\U00010000-\U0010ffff]")
_FAILED_RUNS: Final = re.compile("\ufffd+")
_DAMAGED_RATIO: Final = 3


#: The codes of a file refused whole (bad input: nothing was read from it).
FILE_CODES: Final = frozenset({"file_encoding_invalid", "file_invalid", "file_too_large",
                               "header_invalid"})


class FileRefused(ValueError):
    """A migration file refused whole: ``code`` (docs/ERRORS.md), the file, the line."""

    def __init__(self, code: str, file: str, line: int, reason: str) -> None:
        super().__init__(f"{file} line {line}: {reason}")
        self.code, self.file, self.line, self.reason = code, file, line, reason


def decode(data: bytes, file: str) -> tuple[str, str]:
    """(text, encoding): UTF-8 (a BOM dropped), else GBK, else GB18030 — each decoded
    strictly, so a file in none of them is refused rather than read as mojibake."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused("file_encoding_invalid", file, 1,
                          "UTF-16 is not accepted: save as UTF-8, GBK or GB18030")
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", file), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if _mostly_utf8(data):
        raise FileRefused("file_encoding_invalid", file, data.count(b"\n", 0, first_bad) + 1,
                          "UTF-8 but for bytes that are not (a damaged file): it is not "
                          "read as GBK")
    for encoding in ("gbk", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileRefused("file_encoding_invalid", file, data.count(b"\n", 0, first_bad) + 1,
                      "not UTF-8, GBK or GB18030 text")


def _mostly_utf8(data: bytes) -> bool:
    """Characters of three UTF-8 bytes or more (Chinese among them) that decode outnumber
    ``_DAMAGED_RATIO`` to one the places where decoding fails. GBK and GB18030 text read as
    UTF-8 fails at nearly every word, and a three-byte sequence it forms by chance is
    followed by a failure (measured: 0 of 300,000 files of one to three random GB2312 names
    pass the ratio, 34 would pass one to one); UTF-8 text with a damaged sequence fails only
    there."""
    text = data.decode("utf-8", errors="replace")
    return len(_WIDE.findall(text)) > _DAMAGED_RATIO * len(_FAILED_RUNS.findall(text))


def _strict(data: bytes, encoding: str, file: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileRefused("file_encoding_invalid", file, data.count(b"\n", 0, exc.start) + 1,
                          f"a UTF-8 BOM, then bytes that are not UTF-8 ({exc.reason})") from exc


def read_rows(data: bytes, file: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of the ``file`` kind (a key of ``FILES``) as (line no., cells by column),
    blank lines skipped; or ``FileRefused`` for the whole file."""
    text, _ = decode(data, file)
    bad = _CONTROL.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise FileRefused("file_invalid", file, line, f"control character "
                          f"U+{ord(bad.group()):04X}: a damaged or mis-encoded export, not a "
                          "CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        columns = _header(header, FILES[file], file)
        rows: list[tuple[int, dict[str, str]]] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                raise FileRefused("file_invalid", file, reader.line_num,
                                  f"{len(cells)} cells, the header has {len(columns)}")
            if len(rows) == limits.migration_rows_per_file_max:
                raise FileRefused("file_too_large", file, reader.line_num,
                                  f"over {limits.migration_rows_per_file_max} rows")
            rows.append((reader.line_num, dict(zip(columns, cells, strict=True))))
    except csv.Error as exc:
        raise FileRefused("file_invalid", file, reader.line_num, f"not CSV: {exc}") from exc
    return rows


def _header(header: list[str] | None, expected: tuple[str, ...], file: str) -> list[str]:
    if not header or not any(cell.strip() for cell in header):
        raise FileRefused("header_invalid", file, 1, "the file is empty: no header line")
    columns = [cell.strip() for cell in header]
    unknown = [c for c in columns if c not in expected]
    missing = [c for c in expected if c not in columns]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if unknown or missing or repeated:
        parts = ([f"unknown column(s) {', '.join(unknown)}"] if unknown else []) + (
            [f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            [f"repeated column(s) {', '.join(repeated)}"] if repeated else [])
        raise FileRefused("header_invalid", file, 1,
                          "; ".join(parts) + f" (expected: {','.join(expected)})")
    return columns
