"""R-S10: packages read from pacs.008/pacs.003 messages, checked against the official XSD while
streamed: a package written and read back is the same package; every malformed, schema-invalid,
truncated or foreign file is refused whole with ``message_invalid`` naming its line; a large file
is read in bounded memory."""

import io
import re
import subprocess
import sys
import textwrap
import tracemalloc
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cunguan.clearing.iso20022 import VERSIONS, read_package, validate
from cunguan.clearing.iso20022.records import Header
from cunguan.clearing.iso20022.writer import package_message_name, write_package
from cunguan.clearing.rules.packages import Item, Package
from cunguan.clearing.rules.parameters import BusinessType
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.core import limits

DAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
BANKS = ("102100099996", "105100000017", "104100000004", "313100000013")
#: Names with Chinese text and the five XML special characters (never at either end a space:
#: the domain strips names).
_NAME_CHARS = "张三李四王五赵六钱七孙八周九吴十郑冯陈褚卫蒋沈韩杨朱秦尤许何吕施abcXYZ&<>\"'·-"
names = st.text(alphabet=_NAME_CHARS, min_size=1, max_size=40)
ids = st.from_regex(r"[A-Za-z0-9_.:-]{1,35}", fullmatch=True)
accounts = st.from_regex(r"[0-9]{8,32}", fullmatch=True)


@st.composite
def packages(draw: st.DrawFn, kinds: tuple[BusinessType, ...] = tuple(BusinessType)
             ) -> Package:
    kind = draw(st.sampled_from(kinds))
    count = 1 if kind.is_realtime else draw(st.integers(1, 25))
    e2e = draw(st.lists(ids, min_size=count, max_size=count, unique=True))
    term = draw(st.integers(0, 5)) if kind.is_debit else 0
    top = 0 if not kind.moves_money else 5_000_000
    items = tuple(Item(
        item_no=no, end_to_end_id=e2e[no - 1], debtor_bank=draw(st.sampled_from(BANKS)),
        debtor_account=draw(accounts), debtor_name=draw(names),
        creditor_bank=draw(st.sampled_from(BANKS)), creditor_account=draw(accounts),
        creditor_name=draw(names), amount_fen=draw(st.integers(min(1, top), top)),
        debit_term_days=term) for no in range(1, count + 1))
    return Package(draw(ids), kind, draw(st.sampled_from(BANKS)), draw(st.sampled_from(BANKS)),
                   DAY, count, sum(i.amount_fen for i in items), items)


def _header(package: Package) -> Header:
    return Header(package.message_id, NOW, package.sender_bank, package.receiver_bank)


def _sample(kind: BusinessType = BusinessType.ORDINARY_CREDIT, count: int = 3) -> Package:
    items = tuple(Item(no, f"E{no}", BANKS[0], f"6222{no:06d}", "张三", BANKS[1],
                       f"6217{no:06d}", "李四", 1_000 + no, 2 if kind.is_debit else 0)
                  for no in range(1, count + 1))
    return Package("M1", kind, BANKS[0], BANKS[1], DAY, count,
                   sum(i.amount_fen for i in items), items)


def _pretty(package: Package) -> bytes:
    """The package's message with one element a line, so a refusal's line can be checked."""
    return write_package(package, _header(package)).replace(b"><", b">\n<")


def _line_of(data: bytes, needle: bytes, occurrence: int = 1) -> int:
    at = -1
    for _ in range(occurrence):
        at = data.index(needle, at + 1)
    return data.count(b"\n", 0, at) + 1


def _refused(data: bytes | io.BytesIO) -> ClearingError:
    with pytest.raises(ClearingError) as caught:
        read_package(data)
    return caught.value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packages())
def test_r_s10_a_package_round_trips_through_its_xsd_valid_message(package: Package) -> None:
    data = write_package(package, _header(package))
    validate(data, package_message_name(package))
    assert read_package(data) == (package,)
    assert read_package(io.BytesIO(data)) == (package,)


def test_r_s10_credits_travel_as_pacs008_and_debits_as_pacs003_with_their_t_plus_n() -> None:
    debit = _sample(BusinessType.PERIODIC_DEBIT)
    data = write_package(debit, _header(debit))
    assert VERSIONS["pacs.003"].encode() in data and b"<Prtry>T+2</Prtry>" in data
    assert b"<Prtry>BEPS-PERIODIC</Prtry>" in data
    assert read_package(data)[0].items[0].debit_term_days == 2
    credit = _sample(BusinessType.REALTIME_CREDIT, 1)
    assert VERSIONS["pacs.008"].encode() in write_package(credit, _header(credit))


def test_r_s10_amounts_are_cny_decimal_text_read_to_the_exact_fen() -> None:
    data = _pretty(_sample()).replace(b">10.01<", b">10.010<")
    assert read_package(data)[0].items[0].amount_fen == 1_001


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A[0-9]{0,16}(\.[0-9]{0,3})?\Z"))
def test_r_s10_an_amounts_fast_reading_equals_the_exact_decimal_one(text: str) -> None:
    from decimal import Decimal, InvalidOperation

    from cunguan.clearing.iso20022 import fields
    try:
        value = Decimal(text) * 100
        expected: int | None = int(value) if value == value.to_integral_value() else None
    except InvalidOperation:
        expected = None
    if not text.strip("."):
        expected = None
    try:
        got: int | None = fields.fen(text, "CNY", 1, "IntrBkSttlmAmt")
    except ClearingError:
        got = None
    assert got == expected


@pytest.mark.parametrize(("mutate", "needle", "reason"), [
    (lambda d: re.sub(rb"<MsgId>M1</MsgId>\n", b"", d), b"<CreDtTm>", "MsgId"),
    (lambda d: d.replace(b">10.01<", b">10.011<"), b">10.011<", "whole number of fen"),
    (lambda d: d.replace(b'Ccy="CNY">10.02', b'Ccy="USD">10.02'), b"USD", "currency USD"),
    (lambda d: d.replace(b"</Dbtr>", b"</Debtor>", 1), b"</Debtor>", "mismatch"),
    (lambda d: d.replace(b"<NbOfTxs>3</NbOfTxs>", b"<NbOfTxs>three</NbOfTxs>"), b"three",
     "NbOfTxs"),
])
def test_r_s10_a_malformed_or_schema_invalid_message_is_refused_with_its_line(
        mutate, needle: bytes, reason: str) -> None:   # type: ignore[no-untyped-def]
    data = mutate(_pretty(_sample()))
    refused = _refused(data)
    assert refused.code == Refusal.MESSAGE_INVALID
    assert refused.details["line"] == _line_of(data, needle)
    assert reason in str(refused.details["reason"])


def test_r_s10_a_schema_error_in_a_file_object_is_located_too() -> None:
    data = re.sub(rb"<MsgId>M1</MsgId>\n", b"", _pretty(_sample()))
    refused = _refused(io.BytesIO(data))
    assert refused.details["line"] == _line_of(data, b"<CreDtTm>")


def test_r_s10_a_truncated_message_is_refused_with_the_line_it_stops_at() -> None:
    data = _pretty(_sample(count=20))
    cut = data[: len(data) * 2 // 3]
    refused = _refused(cut)
    assert refused.code == Refusal.MESSAGE_INVALID
    assert 0 < int(refused.details["line"]) <= cut.count(b"\n") + 1   # type: ignore[call-overload]


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"not xml at all", "not an ISO 20022 message"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.002.001.11"/>', "pacs.002"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"/>', "pacs.008.001.08"),
])
def test_r_s10_a_file_that_is_no_package_message_is_refused(data: bytes, reason: str) -> None:
    refused = _refused(data)
    assert refused.code == Refusal.MESSAGE_INVALID and reason in refused.message


def test_r_s10_a_doctype_is_refused_and_no_entity_is_expanded() -> None:
    data = _pretty(_sample()).replace(
        b"?>\n", b'?>\n<!DOCTYPE Document [<!ENTITY boom "x">]>\n', 1)
    refused = _refused(data)
    assert refused.code == Refusal.MESSAGE_INVALID and "DOCTYPE" in refused.message


def test_r_s10_an_unknown_or_mixed_business_type_is_refused_by_name() -> None:
    data = _pretty(_sample()).replace(b"BEPS-ORDINARY", b"BEPS-URGENT")
    assert _refused(data).code == Refusal.BUSINESS_TYPE_INVALID
    information = _pretty(_sample(BusinessType.PERIODIC_DEBIT)).replace(
        b"BEPS-PERIODIC", b"BEPS-INFORMATION")
    assert _refused(information).code == Refusal.BUSINESS_TYPE_INVALID


def test_r_s10_a_field_the_domain_refuses_names_the_field_and_the_line() -> None:
    data = _pretty(_sample()).replace(b"<EndToEndId>E2</EndToEndId>",
                                      b"<EndToEndId>E 2</EndToEndId>")
    refused = _refused(data)
    assert refused.code == Refusal.FIELD_INVALID
    assert refused.details["field"] == "items[2].end_to_end_id"
    assert refused.details["line"] == _line_of(data, b"<CdtTrfTxInf>", 2)
    bad_term = _pretty(_sample(BusinessType.ORDINARY_DEBIT)).replace(b"T+2", b"T+two")
    assert _refused(bad_term).code == Refusal.MESSAGE_INVALID


def test_r_s10_the_stated_totals_are_read_as_stated_for_intake_to_check() -> None:
    data = _pretty(_sample()).replace(b"<CtrlSum>30.06</CtrlSum>", b"<CtrlSum>30.07</CtrlSum>")
    package = read_package(data)[0]
    assert package.control_sum_fen == 3_007 and sum(i.amount_fen for i in package.items) == 3_006


def _big_message(path: Path, items: int, remittance_lines: int) -> int:
    """A valid pacs.008 of ``items`` credits, each with long remittance text, written as a
    stream (never whole in memory); its size in bytes."""
    package = _sample(count=1)
    head, tail = write_package(replace(package, control_count=items,
                                       control_sum_fen=items * 1_001), _header(package)
                               ).split(b"<CdtTrfTxInf>")
    body = b"<CdtTrfTxInf>" + tail.split(b"</CdtTrfTxInf>")[0]
    remittance = b"<RmtInf>" + b"".join(
        b"<Ustrd>" + f"{n:03d}".encode() + "汇款附言".encode() * 30 + b"</Ustrd>"
        for n in range(remittance_lines)) + b"</RmtInf>"
    with path.open("wb") as out:
        out.write(head)
        for no in range(1, items + 1):
            out.write(body.replace(b"<EndToEndId>E1</EndToEndId>",
                                   f"<EndToEndId>E{no}</EndToEndId>".encode()) + remittance
                      + b"</CdtTrfTxInf>\n")
        out.write(b"</FIToFICstmrCdtTrf></Document>")
    return path.stat().st_size


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("iso20022") / "big-pacs008.xml"
    return path, _big_message(path, items=10_000, remittance_lines=6)


def test_r_s10_a_large_message_is_read_streaming_in_bounded_python_memory(
        big_file: tuple[Path, int]) -> None:
    path, size = big_file
    assert size > 25_000_000
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            [package] = read_package(stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(package.items) == 10_000 and package.items[-1].end_to_end_id == "E10000"
    assert peak < size / 4, f"peak {peak} bytes for a {size}-byte file"


def test_r_s10_a_large_message_never_sits_in_process_memory_whole(
        big_file: tuple[Path, int]) -> None:
    """The parser's own (C) memory too: a child process reads the file from disk and its peak
    resident size grows by far less than the file."""
    path, size = big_file
    script = textwrap.dedent(f"""
        import resource
        from cunguan.clearing.iso20022 import read_package
        from cunguan.clearing.iso20022.schemas import schema
        schema("pacs.008.001.09")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with open({str(path)!r}, "rb") as stream:
            read_package(stream)
        print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(Path(__file__).parents[3] / "src")})
    before_kib, after_kib = (int(v) for v in out.stdout.split())
    assert (after_kib - before_kib) * 1024 < size / 2, out.stdout


def test_r_s10_a_message_over_the_size_limit_is_refused_before_it_is_read_whole(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = _pretty(_sample(count=50))
    monkeypatch.setattr(limits, "clearing_message_bytes_max", len(data) // 2)
    assert _refused(data).code == Refusal.MESSAGE_TOO_LARGE
    streamed = _refused(io.BytesIO(data))
    assert streamed.code == Refusal.MESSAGE_TOO_LARGE
    assert streamed.details["limit"] == len(data) // 2


def test_r_s10_a_text_mode_file_or_another_object_is_refused_as_a_field() -> None:
    for wrong in (io.StringIO("<Document/>"), 42, "<Document/>"):
        refused = _refused(wrong)   # type: ignore[arg-type]
        assert refused.code == Refusal.FIELD_INVALID
