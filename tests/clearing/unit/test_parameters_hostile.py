"""Hostile input to the clearing system's parameters (``clearing/rules/parameters.py``), as the
Python API takes them: every value a field's own kind refuses is refused ``field_invalid``
naming that field, never another exception and never accepted (a bool is not a count of fen,
a float not a number of seconds, a session time a ``datetime.time``)."""

from datetime import UTC, datetime, time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cunguan.clearing.rules.parameters import ClearingParameters
from cunguan.core import limits
from cunguan.core.fields import FieldInvalid
from tests.hostile import Kind


def _int_within(low: int, high: int) -> Any:
    return lambda v: type(v) is int and low <= v <= high


def _times(v: Any) -> bool:
    return (isinstance(v, tuple) and all(type(t) is time and t.tzinfo is None for t in v)
            and list(v) == sorted(set(v)) and len(v) <= limits.clearing_sessions_per_day_max)


def _pcts(v: Any) -> bool:
    return (isinstance(v, tuple) and all(type(p) is int and 0 < p < 100 for p in v)
            and list(v) == sorted(set(v)))


_MANY_TIMES = tuple(time(h, m) for h in range(24) for m in range(0, 60, 5))[
    :limits.clearing_sessions_per_day_max + 1]

#: Each parameter as a kind: what its own check accepts, and values worth trying on it.
FIELDS: dict[str, Kind] = {
    "credit_item_max_fen": Kind("fen", _int_within(1, limits.amount_fen_max)),
    "debit_answer_days_max": Kind("days", _int_within(
        0, limits.clearing_debit_answer_days_max)),
    "realtime_receipt_timeout_s": Kind("seconds", _int_within(1, 3_600), (3_601,)),
    "session_times": Kind("times", _times, (
        (time(11), time(10)), (time(10), time(10)), [time(10)], (time(10), "11:00"),
        (time(10), time(11, tzinfo=UTC)), (time(10, tzinfo=UTC),), (datetime(2026, 12, 7, 10),),
        _MANY_TIMES)),
    "cap_warning_used_pcts": Kind("percents", _pcts, (
        (90, 80), (80, 80), (0,), (100,), (80, True), [80], (80.0,))),
    "items_per_package_max": Kind("count", _int_within(
        1, limits.clearing_items_per_package_max)),
    "fee_per_item_fen": Kind("fen", _int_within(0, limits.amount_fen_max)),
}


def _refusal(name: str, value: Any) -> FieldInvalid | None:
    try:
        ClearingParameters(**{name: value})
    except FieldInvalid as exc:
        return exc
    return None


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_r_s5_a_hostile_clearing_parameter_is_refused_naming_it(name: str) -> None:
    hostile = FIELDS[name].hostile()
    assert hostile
    for value in hostile:
        refused = _refusal(name, value)
        assert refused is not None, f"{name}={value!r:.60} accepted"
        assert refused.details["field"] == name, (value, refused.message)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(FIELDS)), value=st.data())
def test_r_s5_any_value_a_parameter_refuses_is_field_invalid_never_a_crash(
        name: str, value: st.DataObject) -> None:
    bad = value.draw(FIELDS[name].arbitrary())
    refused = _refusal(name, bad)
    assert refused is not None and refused.details["field"] == name


def test_r_s5_the_defaults_and_good_values_are_taken() -> None:
    params = ClearingParameters(
        credit_item_max_fen=1, debit_answer_days_max=0, realtime_receipt_timeout_s=3_600,
        session_times=(time(9), time(17, 30)), cap_warning_used_pcts=(1, 99),
        items_per_package_max=1, fee_per_item_fen=0)
    assert params.session_times == (time(9), time(17, 30))
    assert ClearingParameters() == ClearingParameters()
