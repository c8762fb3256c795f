"""Money: integer fen, yuan strings, half-up rounding, exact splits; floats refused."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cunguan.core.limits import amount_fen_max
from cunguan.core.money import (
    MoneyError,
    apply_rate,
    fen,
    format_yuan,
    parse_yuan,
    round_half_up,
    split_pro_rata,
    to_fraction,
)

amounts = st.integers(min_value=-amount_fen_max, max_value=amount_fen_max)


@pytest.mark.parametrize(("text", "expected"), [
    ("1,234.56", 123456), ("0.01", 1), ("100", 10000), ("-0.5", -50), ("12.3", 1230),
    ("1,000,000.00", 100000000), ("  7.00 ", 700),
])
def test_parse_yuan(text: str, expected: int) -> None:
    assert parse_yuan(text) == expected


@pytest.mark.parametrize("text", ["1.234", "1,23.00", "abc", "", "1e3", "1,2345", "--1", "1."])
def test_parse_yuan_refuses_malformed(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_yuan(text)


@given(amounts)
def test_format_then_parse_round_trips(amount_fen: int) -> None:
    assert parse_yuan(format_yuan(amount_fen)) == amount_fen


def test_format_yuan_groups_thousands() -> None:
    assert format_yuan(123456789) == "1,234,567.89"
    assert format_yuan(-5) == "-0.05"
    assert format_yuan(100, grouping=False) == "1.00"


@pytest.mark.parametrize("bad", [1.5, 0.1, float("nan")])
def test_floats_are_refused_everywhere(bad: float) -> None:
    with pytest.raises(MoneyError):
        fen(bad)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        apply_rate(100, bad)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        split_pro_rata(100, [1, bad])  # type: ignore[list-item]
    with pytest.raises(MoneyError):
        parse_yuan(bad)  # type: ignore[arg-type]


def test_amount_over_the_limit_is_refused() -> None:
    with pytest.raises(MoneyError):
        fen(amount_fen_max + 1)


@pytest.mark.parametrize(("amount_fen", "rate", "expected"), [
    (100_001, "0.0015", 150),      # 150.0015 → 150
    (100_000, "0.0015", 150),
    (1_000, "0.0015", 2),          # 1.5 → 2 (half up)
    (333, Decimal("0.005"), 2),    # 1.665 → 2
    (-1_000, "0.0015", -2),        # halves away from zero
    (10, Fraction(1, 4), 3),       # 2.5 → 3
    (7, 0, 0),
])
def test_apply_rate_rounds_half_up(amount_fen: int, rate: object, expected: int) -> None:
    assert apply_rate(amount_fen, rate) == expected  # type: ignore[arg-type]


@given(st.fractions())
def test_round_half_up_is_within_half(value: Fraction) -> None:
    rounded = round_half_up(value)
    assert abs(rounded - value) <= Fraction(1, 2)
    if abs(rounded - value) == Fraction(1, 2):
        assert abs(rounded) > abs(value)


@given(amounts, st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=50)
       .filter(lambda ws: sum(ws) > 0))
def test_split_pro_rata_adds_up_exactly(total_fen: int, weights: list[int]) -> None:
    parts = split_pro_rata(total_fen, weights)
    assert sum(parts) == total_fen
    assert len(parts) == len(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total_fen * weight, sum(weights))
        assert abs(part - exact) < 1  # largest remainder never moves a part by a whole fen
        if weight == 0:
            assert part == 0


def test_split_pro_rata_gives_left_over_fen_to_largest_remainders() -> None:
    assert split_pro_rata(100, [1, 1, 1]) == [34, 33, 33]
    assert split_pro_rata(10, [3, 3, 4]) == [3, 3, 4]
    assert split_pro_rata(5, [1, 2]) == [2, 3]  # 1.67 → 2, 3.33 → 3


def test_split_refuses_empty_or_zero_weights() -> None:
    with pytest.raises(MoneyError):
        split_pro_rata(100, [])
    with pytest.raises(MoneyError):
        split_pro_rata(100, [0, 0])


@pytest.mark.parametrize("text", ["1e999999999", "1e-999999999", "0." + "0" * 40 + "1",
                                  "1e19"])
def test_rates_out_of_range_are_refused_at_once(text: str) -> None:
    # Turning 1e999999999 into a fraction would take the process minutes: refused instead.
    with pytest.raises(MoneyError, match="out of range"):
        to_fraction(text)
    assert to_fraction("0.0015") == Fraction(3, 2000)
