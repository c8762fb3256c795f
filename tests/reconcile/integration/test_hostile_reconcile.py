"""Hostile input at reconciliation's edges: statement files in every format (CSV in
UTF-8/GBK/GB18030, XLSX, MT940, camt.053/054, quick-pay) read by the parsers, uploaded over
the operators' signed API and imported with ``cunguan reconcile``; and the operators' JSON
bodies. A refusal is a named code (docs/ERRORS.md) with nothing written — never a 500, a
traceback, a crash of the process or a statement half imported.

Defects this suite found: a camt statement in UTF-16 carrying a DOCTYPE with an entity
crashed the process (the byte check for ``<!DOCTYPE`` did not see UTF-16; lxml's validating
``iterparse`` segfaults on the entity); a statement dated 9999-12-31 (or 1900) was accepted,
though the bank deals only in ``limits.date_earliest`` … ``limits.date_latest``;
``breaks(account_no=, state=)`` took any object (2**63 or a Decimal sNaN reached the driver)
and ``open_only`` any truthy value; a break id of 2**63 raised OverflowError in the driver;
``cunguan reconcile breaks … 1_0`` (or '+1', ' 1 ') was taken as break 10 by Python's int()."""

import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from typer.testing import CliRunner

from cunguan.core.errors import CunguanError
from cunguan.db.connection import make_engine, upgrade
from cunguan.platform.cli.main import app
from cunguan.reconcile.formats import read_statement
from cunguan.reconcile.handlers.service import ReconcileService
from cunguan.reconcile.rules import register
from tests.api_helpers import Api, api_for
from tests.child_reader import read_in_child
from tests.custody_helpers import PLATFORM
from tests.hostile import (
    NAMED,
    NOT_A_REFUSAL,
    Watch,
    arabic_indic,
    documented_codes,
    full_width,
    watched_tables,
)
from tests.reconcile.integration.helpers import OPERATOR, world

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
    return read_in_child("cunguan.reconcile.formats", "read_statement", data, format_name)


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


# -- the Python API ---------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_r_b2_breaks_listed_or_worked_with_hostile_arguments_are_field_invalid(
        engine: Engine) -> None:
    recon = world(engine).recon
    calls: dict[str, Any] = {
        "account_no": lambda v: recon.breaks(account_no=v),
        "state": lambda v: recon.breaks(state=v),
        "open_only": lambda v: recon.breaks(open_only=v),
        "break_detail": recon.break_detail,
        "assign": lambda v: recon.assign(v, "bob", operator=OPERATOR),
        "approve": lambda v: recon.approve(v, operator=OPERATOR),
        "note": lambda v: recon.note(v, "x", operator=OPERATOR),
    }
    accepted = {"account_no": lambda v: v is None or (isinstance(v, str) and re.fullmatch(
                    r"[A-Za-z0-9_.:-]{1,64}", v) is not None),
                "state": lambda v: v is None or v in ("open", "assigned", "resolved"),
                "open_only": lambda v: isinstance(v, bool)}
    problems = []
    for name, call in calls.items():
        for value in (*NAMED, 2**63, 2**64, 0, -1):
            ok = accepted.get(name, lambda v: False)
            try:
                if ok(value):
                    continue
            except TypeError:      # unhashable
                pass
            try:
                call(value)
            except CunguanError as exc:
                wanted = ("field_invalid",) if name in accepted else (
                    "field_invalid", "break_not_found")
                if exc.code not in wanted:
                    problems.append(f"{name}={value!r:.40}: {exc.code}")
            except Exception as exc:
                problems.append(f"{name}={value!r:.40}: {type(exc).__name__}: {exc!s:.60}")
            else:
                problems.append(f"{name}={value!r:.40}: accepted")
    assert not problems, "\n".join(problems[:40])


# -- the signed API ---------------------------------------------------------------------------
@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as found:
        found.onboard(PLATFORM)
        ReconcileService(found.bank.engine, found.bank.ledger, clock=found.clock).add_account(
            register.bank_account(ACCOUNT, "ICBC", "custody", tenant_id=PLATFORM),
            operator="ops-alice")
        yield found


def _corrupted(format_name: str) -> dict[str, bytes]:
    """The sample of a format made hostile in every way that format can be."""
    raw = (DATA / SAMPLES[format_name]).read_bytes()
    text = raw.decode("utf-8")
    amount = {"csv:icbc": "12,345.67", "csv:ccb": "50,000.00", "csv:boc": "3,000,000.00",
              "mt940": "12345,67", "camt.053": "12345.67", "camt.054": "0.50",
              "channel:quickpay": "100.00"}[format_name]
    assert amount in text, (format_name, amount)
    out = {
        "empty": b"", "NUL": raw.replace(b"\n", b"\x00\n", 3), "truncated": raw[: len(raw) // 2],
        "UTF-16": text.encode("utf-16"), "a PDF": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        "a zip": b"PK\x03\x04" + b"\x00" * 200, "XML": CAMT if "camt" not in format_name
        else (DATA / SAMPLES["mt940"]).read_bytes(),
        "Latin-1 noise": bytes(range(128, 256)) * 8,
        "a fraction of a fen": text.replace(amount, amount + "1", 1).encode(),
        "full-width digits": text.replace(amount, full_width(amount), 1).encode(),
        "Arabic-Indic digits": text.replace(amount, arabic_indic(amount), 1).encode(),
        "NaN": text.replace(amount, "NaN", 1).encode(),
        "Infinity": text.replace(amount, "Infinity", 1).encode(),
        "2**64": text.replace(amount, str(2**64), 1).encode(),
        "a sign": text.replace(amount, "-" + amount, 1).encode(),
        "a negative fee": text.replace(">0.50<", ">-0.50<").replace("|0.30|", "|-0.30|")
        .encode() if format_name in ("camt.054", "channel:quickpay") else b"",
        "2026-02-30": _dated(format_name, "2026-02-30") if format_name != "mt940"
        else text.replace("261207", "260230").encode(),
        # MT940's two-digit years read as 2000-2099: no date of it is beyond the years
        "9999-12-31": _dated(format_name, "9999-12-31") if format_name != "mt940" else b"",
    }
    return out


@pytest.mark.parametrize("format_name", sorted(SAMPLES))
def test_r_b2_a_hostile_statement_upload_is_refused_by_name_and_imports_nothing(
        api: Api, format_name: str) -> None:
    watch = Watch(api.bank.engine, watched_tables(api.bank.engine))
    problems = []
    try:
        for name, data in _corrupted(format_name).items():
            watch.before()
            answer = api.operator.upload(f"{UPLOAD}?format={format_name}&account={ACCOUNT}",
                                         {"file": ("statement", data)})
            code = answer.body.get("code") if isinstance(answer.body, dict) else None
            if answer.status == 200:
                # accepted: only where the change is no refusal in that format
                problems.append(f"{name}: accepted ({answer.body.get('lines')} lines)")
            elif answer.status >= 500 or code not in documented_codes() \
                    or code in NOT_A_REFUSAL:
                problems.append(f"{name}: {answer.status} {code}")
            elif watch.changes(PLATFORM, None):
                problems.append(f"{name}: refused {code} but wrote")
    finally:
        watch.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("query", [
    "format=csv:ICBC", "format=mt940%00", "format=%EF%BD%8Dt940", "format=" + "x" * 33,
    "format=", "format=mt940&format=camt.053", f"format=mt940&account={ACCOUNT}%00",
    "format=mt940&account=" + full_width(ACCOUNT), "format=mt940&account=" + "9" * 65,
    "format=mt940&account=",
])
def test_r_b2_hostile_upload_queries_are_refused_by_name(api: Api, query: str) -> None:
    data = (DATA / SAMPLES["mt940"]).read_bytes()
    answer = api.operator.upload(f"{UPLOAD}?{query}", {"file": ("s.sta", data)})
    assert answer.status in (400, 422), (answer.status, answer.body)
    assert answer.body["code"] in documented_codes() - NOT_A_REFUSAL, answer.body


RAW_BODIES: dict[str, tuple[bytes, str]] = {
    "a key named twice": (b'{"owner": "bob", "owner": "eve"}', "application/json"),
    "NaN": (b'{"amount_fen": NaN}', "application/json"),
    "a BOM": (b'\xef\xbb\xbf{"owner": "bob"}', "application/json"),
    "GBK": ('{"owner": "张三"}'.encode("gbk"), "application/json"),
    "text/plain": (b'{"owner": "bob"}', "text/plain"),
    "nested": (b"[" * 5_000 + b"]" * 5_000, "application/json"),
    "truncated": (b'{"owner": "bob"', "application/json"),
    "not an object": (b"[]", "application/json"),
    "a lone surrogate": (b'{"owner": "\\ud800"}', "application/json"),
}
BREAK_POSTS = ["assign", "notes", "adjustment", "rejection", "resolution"]


def test_r_b2_hostile_bodies_and_fields_on_break_routes_are_refused_by_name(api: Api) -> None:
    problems = []
    for route in BREAK_POSTS:
        for name, (body, content_type) in RAW_BODIES.items():
            answer = api.operator._send("POST", f"/v1/operator/reconcile/breaks/1/{route}",
                                        body, content_type)
            code = answer.body.get("code") if isinstance(answer.body, dict) else None
            if answer.status < 400 or answer.status >= 500 or code not in documented_codes():
                problems.append(f"{route} {name}: {answer.status} {code}")
    for value in (True, 1.5, "100", -1, 2**63, 2**64, None, [1], "１２３", "\x00"):
        for route, body in (("assign", {"owner": value}), ("notes", {"text": value}),
                            ("adjustment", {"kind": value, "debit_account_no": "a",
                                            "credit_account_no": "b", "amount_fen": 1,
                                            "memo": "m"}),
                            ("adjustment", {"debit_account_no": "a", "credit_account_no": "b",
                                            "amount_fen": value, "memo": "m"})):
            answer = api.operator.post(f"/v1/operator/reconcile/breaks/1/{route}", body)
            code = answer.body.get("code") if isinstance(answer.body, dict) else None
            if answer.status < 400 or answer.status >= 500 or code not in documented_codes():
                problems.append(f"{route} {body}: {answer.status} {code}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("target", [
    "/v1/operator/reconcile/breaks/0", "/v1/operator/reconcile/breaks/-1",
    f"/v1/operator/reconcile/breaks/{2**63}", f"/v1/operator/reconcile/breaks/{2**64}",
    "/v1/operator/reconcile/breaks/%EF%BC%91", "/v1/operator/reconcile/breaks/1_0",
    "/v1/operator/reconcile/breaks/1.0", "/v1/operator/reconcile/breaks/NaN",
    "/v1/operator/reconcile/breaks?state=%00", "/v1/operator/reconcile/breaks?state=OPEN",
    "/v1/operator/reconcile/breaks?resolved=maybe",
    f"/v1/operator/reconcile/breaks?account={ACCOUNT}%00",
    f"/v1/operator/reconcile/platforms/{PLATFORM}/reports/2026-02-30",
    f"/v1/operator/reconcile/platforms/{PLATFORM}/reports/9999-12",
    f"/v1/operator/reconcile/platforms/{PLATFORM}/reports/%EF%BC%92026-11",
    f"/v1/operator/reconcile/platforms/{PLATFORM}/reports/2026-11-23?format=csv",
    f"/v1/operator/reconcile/platforms/{PLATFORM}%00/reports/2026-11-23",
])
def test_r_b2_r_b5_hostile_paths_and_queries_are_refused_by_name(api: Api, target: str) -> None:
    answer = api.operator.get(target)
    code = answer.body.get("code") if isinstance(answer.body, dict) else None
    assert 400 <= answer.status < 500 and code in documented_codes(), (answer.status,
                                                                       answer.body)


@pytest.mark.parametrize("day", ["2026-02-30", "9999-12-31", "２０２６-11-23", "2026-11-23%00",
                                 "20261123", "2026-11-23T00:00"])
def test_r_b2_hostile_days_in_operator_paths_are_field_invalid(api: Api, day: str) -> None:
    for target in (f"/v1/operator/reconcile/accounts/{ACCOUNT}/days/{day}/match",
                   f"/v1/operator/reconcile/platforms/{PLATFORM}/checks/{day}"):
        answer = api.operator.post(target, {})
        assert (answer.status, answer.body["code"]) == (422, "field_invalid"), (target,
                                                                                 answer.body)


# -- the command line ---------------------------------------------------------------------
@dataclass
class Cli:
    url: str
    folder: Path
    watch: Watch

    def refused(self, *args: str) -> str | None:
        self.watch.before()
        result = runner.invoke(app, ["--database-url", self.url, "reconcile", *args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            return f"raised {type(result.exception).__name__}: {result.exception!s:.80}"
        if result.exit_code not in (1, 2):
            return f"exit {result.exit_code}: {result.output[-160:]}"
        if self.watch.changes(PLATFORM, None):
            return "wrote"
        return None


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    folder = tmp_path_factory.mktemp("reconcile-hostile")
    url = f"sqlite:///{folder}/r.db"
    engine = make_engine(url)
    upgrade(engine)
    recon = world(engine).recon
    recon.add_account(register.bank_account(ACCOUNT, "ICBC", "custody", tenant_id="P2P"),
                      operator=OPERATOR)
    watch = Watch(engine, watched_tables(engine))
    yield Cli(url, folder, watch)
    watch.close()
    engine.dispose()


@pytest.mark.parametrize("format_name", sorted(SAMPLES))
def test_r_b2_reconcile_import_refuses_hostile_files_by_exit_code(cli: Cli,
                                                                  format_name: str) -> None:
    problems = []
    for name, data in _corrupted(format_name).items():
        path = cli.folder / f"statement-{abs(hash(name))}"
        path.write_bytes(data)
        problem = cli.refused("import", str(path), "--format", format_name, "--account",
                              ACCOUNT, "--operator", OPERATOR)
        if problem:
            problems.append(f"{name}: {problem}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("args", [
    ("breaks", "show", "1_0"), ("breaks", "show", "+1"), ("breaks", "show", " 1 "),
    ("breaks", "show", "１"), ("breaks", "show", str(2**63)), ("breaks", "show", "0"),
    ("breaks", "assign", "1_0", "--owner", "bob", "--operator", OPERATOR),
    ("breaks", "approve", "9" * 30, "--operator", OPERATOR),
    ("breaks", "note", "1", "--text", "a\x00b", "--operator", OPERATOR),
    ("breaks", "propose", "1", "--debit", "a", "--credit", "b", "--amount", "1.001",
     "--memo", "m", "--operator", OPERATOR),
    ("import", str(DATA / SAMPLES["mt940"]), "--format", "mt940\x00", "--operator", OPERATOR),
    ("import", str(DATA / SAMPLES["mt940"]), "--format", "mt940", "--account",
     full_width(ACCOUNT), "--operator", OPERATOR),
    ("match", "--account", ACCOUNT, "--date", "2026-02-30", "--operator", OPERATOR),
    ("checks", "--platform", "P2P", "--date", "9999-12-31"),
])
def test_r_b2_reconcile_commands_refuse_hostile_arguments(cli: Cli,
                                                          args: tuple[str, ...]) -> None:
    problem = cli.refused(*args)
    assert problem is None, problem


# -- XLSX: entities in a workbook's parts ---------------------------------------------------
def _xlsx(sheet_xml: Callable[[bytes], bytes] | None = None) -> bytes:
    """The ICBC sample as a workbook, its sheet's XML changed by ``sheet_xml``."""
    import csv
    import io
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    text = (DATA / SAMPLES["csv:icbc"]).read_text(encoding="utf-8")
    for row in csv.reader(io.StringIO(text)):
        sheet.append(row)
    made = io.BytesIO()
    book.save(made)
    if sheet_xml is None:
        return made.getvalue()
    source, out = zipfile.ZipFile(io.BytesIO(made.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as changed:
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = sheet_xml(part)
            changed.writestr(info.filename, part)
    return out.getvalue()


def _with_dtd(dtd: bytes, ref: bytes) -> Callable[[bytes], bytes]:
    return lambda part: dtd + part.replace(b"<t>", b"<t>" + ref, 1)


LAUGHS = (b'<!DOCTYPE x [<!ENTITY a "' + b"a" * 100 + b'">'
          + b"".join(b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(6))
          + b"]>")


@pytest.mark.parametrize(("name", "change"), [
    ("external entity (XXE)", _with_dtd(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
                                        b"&e;")),
    ("billion laughs", _with_dtd(LAUGHS, b"&g;")),
    ("not XML", lambda part: b"\x00" * 64),
    ("truncated", lambda part: part[: len(part) // 2]),
])
def test_r_b2_an_xlsx_with_entities_or_a_broken_sheet_is_refused(
        name: str, change: Callable[[bytes], bytes]) -> None:
    assert len(read_statement(_xlsx(), "xlsx:icbc").lines) == 4
    child = _read_in_child(_xlsx(change), "xlsx:icbc")
    assert child.returncode == 0, f"{name}: crashed {child.returncode}"
    assert child.stdout.startswith("refused statement_unparsable"), child.stdout


@pytest.mark.parametrize("args", [
    ("platform-file", "--platform", "\ud800", "--date", "2026-11-23", "--out", "{tmp}/pf"),
    ("platform-file", "--platform", "P2P\x00", "--date", "2026-11-23", "--out", "{tmp}/pf"),
    ("platform-file", "--platform", "x" * 200, "--date", "2026-11-23", "--out", "{tmp}/pf"),
    ("platform-file", "--platform", "P2P", "--date", "2026-11-22", "--out", "/nonexistent/d/x"),
    ("platform-file", "--platform", "P2P", "--date", "2026-11-22", "--out", "{tmp}"),
    ("reports", "--platform", "P2P", "--date", "2026-11-23", "--out", "/proc/nope/x"),
    ("reports", "--platform", "\ud800", "--date", "2026-11-23", "--out", "{tmp}/r"),
])
def test_r_b5_r_c22_reconcile_files_refuse_a_hostile_platform_or_an_unwritable_out(
        tmp_path: Path, args: tuple[str, ...]) -> None:
    """A lone surrogate as the platform reached the driver (UnicodeEncodeError); a folder that
    cannot be written raised FileNotFoundError/IsADirectoryError: now field_invalid, exit 2."""
    url = f"sqlite:///{tmp_path}/f.db"
    engine = make_engine(url)
    upgrade(engine)
    world(engine)
    result = runner.invoke(app, ["--database-url", url, "reconcile",
                                 *(a.replace("{tmp}", str(tmp_path)) for a in args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code in (1, 2), result.output
    engine.dispose()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(format_name=st.one_of(st.sampled_from(sorted(SAMPLES)), st.text(max_size=40),
                             st.binary(max_size=8), st.integers(), st.none()),
       account=st.one_of(st.none(), st.just(ACCOUNT), st.text(max_size=70), st.integers(),
                         st.binary(max_size=4)),
       sample=st.sampled_from(sorted(SAMPLES)))
def test_r_b2_any_format_name_or_account_is_a_statement_or_a_named_refusal(
        format_name: Any, account: Any, sample: str) -> None:
    data = (DATA / SAMPLES[sample]).read_bytes()
    try:
        statement = read_statement(data, format_name, account_no=account)
    except CunguanError as exc:
        assert exc.code in documented_codes() - NOT_A_REFUSAL, exc
    else:
        assert format_name == sample and statement.lines
