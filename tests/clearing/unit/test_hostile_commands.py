"""Hostile input to the clearing context's pure checks: a package's and an item's raw fields
(``clearing/rules/commands.py``) and a submitted pacs.008/pacs.003 message
(``iso20022/reader.py``). Every value a field's own check refuses is refused by the command
builder as ``field_invalid`` naming that field — never another exception — and every message
that is not a UTF-8 ISO 20022 document without a DOCTYPE is refused ``message_invalid``
without the parser ever seeing its DTD (a DOCTYPE with an entity used to crash the process:
lxml's validating ``iterparse`` segfaulted on it)."""

import copy
import subprocess
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cunguan.clearing.iso20022 import read_package
from cunguan.clearing.iso20022.writer import write_package
from cunguan.clearing.rules.commands import item_from, package_from
from cunguan.clearing.rules.packages import Item, Package
from cunguan.clearing.rules.parameters import BusinessType
from cunguan.clearing.rules.refusals import ClearingError
from cunguan.core import limits
from cunguan.core.errors import CunguanError
from cunguan.core.fields import FieldInvalid
from tests.child_reader import read_in_child
from tests.clearing.integration.helpers import CCB, ICBC, credit
from tests.clearing.unit.test_iso20022_reader import _header, _sample
from tests.hostile import NAMED, Kind, accepted_by, arabic_indic, full_width

SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BASE = credit("M1", ICBC, CCB, 100, 200)

#: Each raw field of a package and of an item, as a kind: what its own check accepts.
PACKAGE_FIELDS: dict[str, Kind] = {
    "message_id": Kind("message_id", lambda v: isinstance(v, str) and v.isascii()
                       and 0 < len(v) <= limits.clearing_message_id_length_max
                       and all(c.isalnum() or c in "_.:-" for c in v)),
    "business_type": Kind("business_type", lambda v: isinstance(v, str)
                          and v in {t.value for t in BusinessType}),
    "sender_bank": Kind("bank", lambda v: False, ("１０２１00099996", arabic_indic(ICBC),
                                                   ICBC + "\x00", ICBC[:-1], int(ICBC))),
    "receiver_bank": Kind("bank", lambda v: False, (full_width(CCB),)),
    "work_date": Kind("day", lambda v: False, ("2026-02-30", "9999-12-31", "0000-01-01",
                                               "2026-12-07T00:00", "\ufeff2026-12-07",
                                               full_width("2026-12-07"), "2026-1-7")),
    "control_count": Kind("count", lambda v: type(v) is int and 0 <= v
                          <= limits.clearing_items_per_package_max),
    "control_sum_fen": Kind("amount", lambda v: type(v) is int and 0 <= v
                            <= limits.amount_fen_max, (2**63, 2**64, "300", 300.0)),
}
ITEM_FIELDS: dict[str, Kind] = {
    "item_no": Kind("item_no", lambda v: type(v) is int
                    and 1 <= v <= limits.clearing_items_per_package_max),
    "end_to_end_id": PACKAGE_FIELDS["message_id"],
    "debtor_bank": PACKAGE_FIELDS["sender_bank"],
    "creditor_bank": PACKAGE_FIELDS["receiver_bank"],
    "debtor_account": Kind("account", accepted_by(lambda v: item_from(
        {**BASE["items"][0], "debtor_account": v}, "i"))),
    "debtor_name": Kind("name", accepted_by(lambda v: item_from(
        {**BASE["items"][0], "debtor_name": v}, "i")), ("张三\x00", "\u0085", "张" * 500)),
    "amount_fen": Kind("amount", lambda v: type(v) is int and 0 <= v <= limits.amount_fen_max,
                       ("1.001", "100", 100.0, 2**63, 2**64, -1)),
    "debit_term_days": Kind("days", lambda v: type(v) is int
                            and 0 <= v <= limits.clearing_debit_answer_days_max, (None,)),
}


def _refusal(raw: Any) -> FieldInvalid | None:
    try:
        package_from(raw)
    except FieldInvalid as exc:
        return exc
    return None


@pytest.mark.parametrize("name", sorted(PACKAGE_FIELDS))
def test_r_s2_a_hostile_package_field_is_refused_naming_it(name: str) -> None:
    for value in PACKAGE_FIELDS[name].hostile():
        raw = {**copy.deepcopy(BASE), name: value}
        refused = _refusal(raw)
        assert refused is not None, f"{name}={value!r:.60} accepted"
        assert refused.details["field"] == name, (value, refused.message)


@pytest.mark.parametrize("name", sorted(ITEM_FIELDS))
def test_r_s2_a_hostile_item_field_is_refused_naming_it(name: str) -> None:
    for value in ITEM_FIELDS[name].hostile():
        raw = copy.deepcopy(BASE)
        raw["items"][1][name] = value
        refused = _refusal(raw)
        assert refused is not None, f"items[1].{name}={value!r:.60} accepted"
        assert refused.details["field"] == f"items[1].{name}", (value, refused.message)


@SLOW
@given(field=st.sampled_from(sorted(PACKAGE_FIELDS)), value=st.data())
def test_r_s2_any_value_a_package_field_refuses_is_field_invalid_never_a_crash(
        field: str, value: st.DataObject) -> None:
    bad = value.draw(PACKAGE_FIELDS[field].arbitrary())
    refused = _refusal({**copy.deepcopy(BASE), field: bad})
    assert refused is not None and refused.details["field"] == field


@SLOW
@given(field=st.sampled_from(sorted(ITEM_FIELDS)), value=st.data())
def test_r_s2_any_value_an_item_field_refuses_is_field_invalid_never_a_crash(
        field: str, value: st.DataObject) -> None:
    raw = copy.deepcopy(BASE)
    raw["items"][0][field] = value.draw(ITEM_FIELDS[field].arbitrary())
    refused = _refusal(raw)
    assert refused is not None and refused.details["field"] == f"items[0].{field}"


@SLOW
@given(st.one_of(st.sampled_from(NAMED), st.integers(), st.text(max_size=20), st.none(),
                 st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)))
def test_r_s2_a_package_or_its_items_of_the_wrong_shape_are_field_invalid(raw: Any) -> None:
    """Not an object, items not a list of objects: refused by name, never a TypeError."""
    assert _refusal(raw) is not None
    items = raw if not isinstance(raw, list | tuple) or raw else [1]  # none: intake's check
    assert _refusal({**BASE, "items": items}) is not None


def test_r_s2_more_items_than_a_package_may_carry_are_refused_before_any_is_read() -> None:
    many = [object()] * (limits.clearing_items_per_package_max + 1)
    refused = _refusal({**BASE, "items": many})
    assert refused is not None and refused.details["field"] == "items"


# -- submitted messages ---------------------------------------------------------------------
GOOD = write_package(_sample(), _header(_sample()))
BODY = GOOD[GOOD.index(b"?>") + 2:]
NAME = "张三".encode()


def _read_in_child(data: bytes) -> subprocess.CompletedProcess[str]:
    """Read ``data`` in a child process: a parser crash kills the child, not the tests."""
    return read_in_child("cunguan.clearing.iso20022", "read_package", data)


ENTITIES = {
    "internal entity": b'<!DOCTYPE d [<!ENTITY a "aa">]>' + BODY.replace(NAME, b"&a;"),
    "billion laughs": (b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                       b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                       b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
                       + BODY.replace(NAME, b"&c;")),
    "external entity (XXE)": (b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                              + BODY.replace(NAME, b"&x;")),
    "parameter entity": (b'<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'
                         + BODY),
    "DOCTYPE after a long comment": b"<!-- urn:iso:std:iso:20022:tech:xsd:pacs.008.001.09 "
                                    + b"x" * 10_000 + b"-->"
                                    + b'<!DOCTYPE d [<!ENTITY a "aa">]>'
                                    + BODY.replace(NAME, b"&a;"),
}


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_r_s10_a_dtd_or_entity_is_refused_before_the_parser_sees_it(name: str) -> None:
    for data in (b'<?xml version="1.0" encoding="UTF-8"?>' + ENTITIES[name], ENTITIES[name]):
        child = _read_in_child(data)
        assert child.returncode == 0, f"{name}: the reader crashed ({child.returncode}) " \
                                      f"{child.stderr[-300:]}"
        assert child.stdout.startswith("refused message_invalid"), child.stdout
        assert "DOCTYPE" in child.stdout


NOT_UTF8 = {
    "UTF-16": BODY.decode().encode("utf-16"),
    "UTF-16 declared": ('<?xml version="1.0" encoding="UTF-16"?>' + BODY.decode())
    .encode("utf-16"),
    "GBK declared": b'<?xml version="1.0" encoding="GBK"?>' + BODY.decode().encode("gbk"),
    "UTF-7 declared": b'<?xml version="1.0" encoding="UTF-7"?>' + BODY,
    "GBK bytes declared UTF-8": GOOD.decode().encode("gbk"),
    "EBCDIC": BODY.decode().encode("cp500", errors="replace"),
}


@pytest.mark.parametrize("name", sorted(NOT_UTF8))
def test_r_s10_a_message_in_another_encoding_than_utf8_is_refused(name: str) -> None:
    child = _read_in_child(NOT_UTF8[name])
    assert child.returncode == 0, child.stderr[-300:]
    assert child.stdout.startswith("refused message_invalid"), child.stdout


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbf" + GOOD, b"\n  " + BODY, b"\xef\xbb\xbf\n" + BODY,
    GOOD.replace(b"UTF-8", b"utf-8"),
])
def test_r_s10_a_bom_or_white_space_before_a_utf8_message_is_read(data: bytes) -> None:
    [package] = read_package(data)
    assert package.items == _sample().items


AMOUNTS = [b"10.011", b"-10.01", b"1E+3", b"NaN", b"INF", "１０.０１".encode(),
           b"99999999999999999.99", b"0x10", b"10,01", b""]


@pytest.mark.parametrize("amount", AMOUNTS)
def test_r_s10_an_amount_no_cny_decimal_fen_can_be_is_refused(amount: bytes) -> None:
    data = GOOD.replace(b">10.01<", b">" + amount + b"<", 1)
    with pytest.raises(CunguanError) as caught:
        read_package(data)
    assert caught.value.code in ("message_invalid", "field_invalid")


@pytest.mark.parametrize("data", [
    b"", b"%PDF-1.4\n", b"PK\x03\x04" + b"\x00" * 64, b"=cmd|' /C calc'!A0,1\n",
    b'{"message_id": "M1"}', GOOD[: len(GOOD) // 2], GOOD + BODY,
    GOOD.replace(b"pacs.008.001.09", b"pacs.008.001.99"),
    GOOD.replace(b"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.09", b"urn:evil"),
    GOOD.replace(NAME, b"&#0;"), GOOD.replace(NAME, b"\x07"),
    GOOD.replace(b"2026-12-07", b"2026-02-30"), GOOD.replace(b"2026-12-07", b"9999-12-31"),
    GOOD.replace(b'Ccy="CNY"', b'Ccy="USD"', 1),
    GOOD.replace(NAME, b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                       b'href="/etc/passwd"/>'),
])
def test_r_s10_a_file_that_is_not_a_valid_package_message_is_refused_by_name(
        data: bytes) -> None:
    with pytest.raises(ClearingError) as caught:
        read_package(data)
    assert caught.value.code in ("message_invalid", "field_invalid"), caught.value


def test_r_s10_an_item_of_a_package_built_from_python_objects_is_checked_too() -> None:
    assert isinstance(_sample().items[0], Item) and isinstance(_sample(), Package)
    with pytest.raises(FieldInvalid):
        item_from({**BASE["items"][0], "amount_fen": True}, "items[0]")
