"""The domain's field types (core/fields.py, custody/rules/fields.py): any Python value is either
taken, normalized to its field's type, or refused with ``field_invalid`` — never another
exception, never a bool as an int, a float as money or a Unicode digit as a digit."""

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cunguan.core import fields
from cunguan.core.fields import FieldInvalid
from cunguan.core.money import MoneyError, parse_yuan
from cunguan.custody.rules.fields import FIELD_TYPES

ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**62, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True),
    st.text(), st.text(alphabet="0123456789０１２３٣³¹ \t\n\x00-.,"), st.binary(),
    st.dates(), st.datetimes(), st.lists(st.text(max_size=3), max_size=3),
    st.tuples(st.text(max_size=3)), st.dictionaries(st.text(max_size=2), st.integers()))


@given(name=st.sampled_from(sorted(FIELD_TYPES)), value=ANYTHING)
def test_every_field_type_takes_or_refuses_by_name_and_nothing_else(name: str,
                                                                    value: Any) -> None:
    try:
        checked = FIELD_TYPES[name](value, name)
    except FieldInvalid as exc:
        assert exc.code == "field_invalid" and exc.details["field"] == name
        return
    if name.endswith("_fen"):
        assert type(checked) is int and checked >= 0
    if isinstance(checked, str):
        assert checked.isprintable() or checked == ""
        if name.endswith(("card_no", "mobile")):
            assert checked.isascii() and checked.isdigit()


@given(st.integers(min_value=1, max_value=10**13))
def test_positive_fen_within_the_limit_are_money(amount: int) -> None:
    assert fields.amount_fen(amount) == amount


@pytest.mark.parametrize("value", [True, False, 1.0, float("nan"), "1", None, 0, -1, 10**13 + 1])
def test_bools_floats_text_none_and_out_of_range_are_not_money(value: Any) -> None:
    with pytest.raises(FieldInvalid):
        fields.amount_fen(value)


@pytest.mark.parametrize("typed", ["6222 0212 3456 7890", " 6222021234567890\n",
                                   "6222-0212-3456-7890"])
def test_typed_numbers_are_normalized_to_ascii_digits(typed: str) -> None:
    assert fields.digits(typed, "card_no", min_length=16, max_length=19) == "6222021234567890"


@pytest.mark.parametrize("typed", ["６２２２０２１２３４５６７８９０", "٦٢٢٢٠٢١٢٣٤٥٦٧٨٩٠",
                                   "622202123456789³", "6222\x000212345678"])
def test_unicode_digits_and_nul_are_not_digits(typed: str) -> None:
    with pytest.raises(FieldInvalid):
        fields.digits(typed, "card_no", min_length=1, max_length=19)


@pytest.mark.parametrize("typed", ["１００", "٣٠٠", "1,０00.00", "³"])
def test_yuan_amounts_take_ascii_digits_only(typed: str) -> None:
    with pytest.raises(MoneyError):
        parse_yuan(typed)


@pytest.mark.parametrize(("typed", "reason"), [("0001-01-01", "from"), ("2026-13-01", "calendar"),
                                               ("2026-1-1", "YYYY"), ("２０２６-01-01", "YYYY")])
def test_dates_outside_the_bank_years_or_malformed_are_refused(typed: str, reason: str) -> None:
    with pytest.raises(FieldInvalid, match=reason):
        fields.iso_day(typed, "date_from")


def test_a_datetime_is_not_a_date() -> None:
    with pytest.raises(FieldInvalid):
        fields.day(datetime(2026, 1, 1), "on")
    assert fields.day(date(2026, 1, 1), "on") == date(2026, 1, 1)


@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", "", "  ", 5, None])
def test_text_refuses_control_characters_empty_and_non_text(value: Any) -> None:
    with pytest.raises(FieldInvalid):
        fields.text(value, "name", max_length=10)
