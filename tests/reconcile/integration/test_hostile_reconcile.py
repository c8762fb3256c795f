"""Hostile input at reconciliation's edges: statement files in every format (CSV in
UTF-8/GBK/GB18030, XLSX, MT940, camt.053/054, quick-pay) read by the parsers, uploaded over
the operators' signed API and imported with ``cunguan reconcile``; and the operators' JSON
bodies. A refusal is a named code (docs/ERRORS.md) with nothing written — never a 500, a
traceback, a crash of the process or a statement half imported.

Defects this suite found: a camt statement in UTF-16 carrying a DOCTYPE with an entity
crashed the process (the byte check for ``<!DOCTYPE`` did not see UTF-16; lxml's validating
``iterparse`` segfaults on the entity); a statement dated 9999-12-31 (or 1900) was accepted,
though the bank deals only in ``limits.date_earliest`` … ``limits.date_latest``."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cunguan.core.errors import CunguanError
from cunguan.reconcile.formats import read_statement

DATA = Path(__file__).resolve().parents[1] / "data"
ACCOUNT = "0200001234567890123"
UPLOAD = "/v1/operator/reconcile/statements"
SAMPLES = {"csv:icbc": "icbc_20261207.csv", "csv:ccb": "ccb_20261207.csv",
           "csv:boc": "boc_20261207.csv", "mt940": "cunguan_20261207.sta",
           "camt.053": "camt053_20261207.xml", "camt.054": "camt054_20261207.xml",
           "channel:quickpay": "quickpay_20261207.txt"}
CAMT = (DATA / SAMPLES["camt.053"]).read_bytes()
CAMT_BODY = CAMT[CAMT.index(b"?>") + 2:]
runner = CliRunner()


def _read_in_child(data: bytes, format_name: str) -> subprocess.CompletedProcess[str]:
    """Read a statement in a child process: a parser crash kills the child, not the tests."""
    code = textwrap.dedent(f"""
        from cunguan.core.errors import CunguanError
        from cunguan.reconcile.formats import read_statement
        try:
            read_statement({data!r}, {format_name!r})
        except CunguanError as exc:
            print("refused", exc.code, exc.message)
        else:
            print("accepted")
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)


ENTITY_CAMT = {
    "UTF-16": ('<!DOCTYPE d [<!ENTITY a "aa">]>'
               + CAMT_BODY.decode().replace("存管户", "&a;")).encode("utf-16"),
    "UTF-16 billion laughs": ('<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                              '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                              + CAMT_BODY.decode().replace("存管户", "&b;")).encode("utf-16"),
    "UTF-16-BE declared": ('<?xml version="1.0" encoding="UTF-16BE"?><!DOCTYPE d '
                           '[<!ENTITY a "aa">]>' + CAMT_BODY.decode().replace("存管户", "&a;")
                           ).encode("utf-16-be"),
    "UTF-8 internal entity": b'<!DOCTYPE d [<!ENTITY a "aa">]>'
                             + CAMT_BODY.replace("存管户".encode(), b"&a;"),
    "UTF-7 declared": (b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE d +AFs-+ADw-!ENTITY'
                       b' a +ACI-aa+ACI-+AD4-+AF0-+AD4-'
                       + CAMT_BODY.replace("存管户".encode(), b"&a;")),
}


@pytest.mark.parametrize("name", sorted(ENTITY_CAMT))
def test_r_b2_a_camt_file_with_a_dtd_in_any_encoding_is_refused_never_a_crash(
        name: str) -> None:
    for format_name in ("camt.053", "camt.054"):
        child = _read_in_child(ENTITY_CAMT[name], format_name)
        assert child.returncode == 0, f"{name}: the reader crashed ({child.returncode})"
        assert child.stdout.startswith("refused statement_unparsable"), child.stdout


def test_r_b2_a_camt_file_in_utf8_with_a_bom_or_a_utf8_declaration_is_read() -> None:
    for data in (b"\xef\xbb\xbf" + CAMT, CAMT.replace(b"UTF-8", b"utf-8"), CAMT_BODY):
        assert len(read_statement(data, "camt.053").lines) == 5


def _dated(format_name: str, day: str) -> bytes:
    """The sample of ``format_name`` with every date of it moved to ``day`` (YYYY-MM-DD)."""
    text = (DATA / SAMPLES[format_name]).read_bytes().decode("utf-8")
    if format_name == "channel:quickpay":
        return re.sub(r"2026-?12-?07", lambda m: day if "-" in m.group(0)
                      else day.replace("-", ""), text).encode()
    if format_name.startswith("csv:"):
        return re.sub(r"2026([-/]?)12\1(0[67])", lambda m: day.replace("-", m.group(1)),
                      text).encode()
    return re.sub(r"2026-12-0[678]", day, text).encode()


@pytest.mark.parametrize("format_name", ["csv:icbc", "csv:ccb", "csv:boc", "camt.053",
                                         "camt.054", "channel:quickpay"])
@pytest.mark.parametrize("day", ["9999-12-31", "2100-01-01", "1999-12-31", "1900-01-01"])
def test_r_b2_a_statement_dated_beyond_the_years_the_bank_deals_in_is_refused(
        format_name: str, day: str) -> None:
    with pytest.raises(CunguanError) as caught:
        read_statement(_dated(format_name, day), format_name)
    assert caught.value.code == "statement_unparsable", caught.value
    assert "years" in caught.value.message or "calendar" in caught.value.message


@pytest.mark.parametrize("format_name", sorted(SAMPLES))
def test_r_b2_every_sample_still_reads_dated_within_the_years(format_name: str) -> None:
    assert read_statement((DATA / SAMPLES[format_name]).read_bytes(), format_name).lines
