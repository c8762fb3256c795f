"""Money is an integer number of fen (分). Floats are refused wherever money flows.

Rounding is half-up (四舍五入: halves away from zero) unless a rule says otherwise, and every
split of an amount adds up exactly to the amount (largest-remainder method). A series of
amounts split among the same parties (installments to investors) is split on the running
total (``split_cumulative``), so that no party drifts more than one fen from its exact share.
"""

import re
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from cunguan.core.errors import InvariantViolation
from cunguan.core.limits import amount_fen_max, rate_exponent_max

Rate = Fraction | Decimal | int | str
"""An exact rate: a Fraction, a Decimal, an int, or a decimal string such as ``"0.0015"``."""

#: ASCII digits only: ``\d`` would take full-width ３, Arabic-Indic ٣ and other Unicode digits.
_YUAN_PATTERN = re.compile(r"^(-)?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?$")


class MoneyError(ValueError):
    """A money value was malformed, out of range, or a float."""


def _refuse_float(value: object) -> None:
    if isinstance(value, float):
        raise MoneyError("floats are refused for money and rates; use int fen, Decimal or str")


def fen(value: int) -> int:
    """Check that ``value`` is an int number of fen within the global limit and return it."""
    _refuse_float(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MoneyError(f"amount must be an int number of fen, got {type(value).__name__}")
    if abs(value) > amount_fen_max:
        raise MoneyError(f"amount {value} fen exceeds the limit of {amount_fen_max} fen")
    return value


def parse_yuan(text: str) -> int:
    """Parse a yuan string ("1,234.56", "-0.5", "100") into fen; at most two decimals."""
    _refuse_float(text)
    if not isinstance(text, str):
        raise MoneyError(f"yuan amount must be a string, got {type(text).__name__}")
    match = _YUAN_PATTERN.match(text.strip())
    if match is None:
        raise MoneyError(f"not a yuan amount: {text!r} (use e.g. '1,234.56')")
    sign, whole, decimals = match.groups()
    amount = int(whole.replace(",", "")) * 100 + int((decimals or "0").ljust(2, "0"))
    return fen(-amount if sign else amount)


def format_yuan(amount_fen: int, *, grouping: bool = True) -> str:
    """Format fen as a yuan string: 123456 → "1,234.56"."""
    fen(amount_fen)
    sign = "-" if amount_fen < 0 else ""
    whole, cents = divmod(abs(amount_fen), 100)
    whole_text = f"{whole:,}" if grouping else str(whole)
    return f"{sign}{whole_text}.{cents:02d}"


def to_fraction(rate: Rate) -> Fraction:
    """Turn an exact rate into a Fraction; floats are refused."""
    _refuse_float(rate)
    if isinstance(rate, bool):
        raise MoneyError("a rate cannot be a bool")
    if isinstance(rate, (Fraction, int)):
        return Fraction(rate)
    if isinstance(rate, Decimal):
        if not rate.is_finite():
            raise MoneyError(f"rate must be finite, got {rate}")
        exponent = rate.as_tuple().exponent
        if not isinstance(exponent, int):
            raise InvariantViolation("a finite Decimal has an int exponent")
        if abs(rate.adjusted()) > rate_exponent_max or -exponent > 2 * rate_exponent_max:
            raise MoneyError(f"rate out of range: {rate}")
        return Fraction(rate)
    if isinstance(rate, str):
        return _text_fraction(rate)
    raise MoneyError(f"unsupported rate type {type(rate).__name__}")


@lru_cache(maxsize=1_024)
def _text_fraction(rate: str) -> Fraction:
    """A rate written as text (a platform's fee, a project's interest): the same few texts
    come with every command, so each is parsed once (a Fraction is immutable)."""
    try:
        return to_fraction(Decimal(rate.strip()))
    except ArithmeticError as exc:
        raise MoneyError(f"not a decimal rate: {rate!r}") from exc


def round_half_up(value: Fraction) -> int:
    """Round an exact value to the nearest integer, halves away from zero."""
    magnitude = abs(value)
    rounded = int(magnitude + Fraction(1, 2))
    return -rounded if value < 0 else rounded


def apply_rate(amount_fen: int, rate: Rate) -> int:
    """``amount_fen × rate`` rounded half-up to the fen (e.g. a 0.15% fee on 1,000.01 yuan)."""
    return round_half_up(fen(amount_fen) * to_fraction(rate))


def split_pro_rata(total_fen: int, weights: Sequence[int]) -> list[int]:
    """Split ``total_fen`` in proportion to integer ``weights``; the parts add up exactly.

    Largest-remainder method: every part gets the floor of its exact share, then the fen left over
    go one each to the largest remainders (ties to the earlier party, so the result is stable).
    Right for one amount; a series of amounts to the same parties takes ``split_cumulative``.
    """
    fen(total_fen)
    _check_weights(weights)
    weight_sum = sum(weights)
    sign = -1 if total_fen < 0 else 1
    magnitude = abs(total_fen)
    quotients = [divmod(magnitude * w, weight_sum) for w in weights]
    parts = [q for q, _ in quotients]
    left_over = magnitude - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-quotients[i][1], i))
    for index in by_remainder[:left_over]:
        parts[index] += 1
    return [sign * part for part in parts]


def _check_weights(weights: Sequence[int]) -> None:
    if not weights:
        raise MoneyError("cannot split among no parties")
    for weight in weights:
        _refuse_float(weight)
        if not isinstance(weight, int) or weight < 0:
            raise MoneyError("split weights must be non-negative ints")
    if sum(weights) == 0:
        raise MoneyError("split weights must not all be zero")


def split_cumulative(total_fen: int, weights: Sequence[int],
                     received_fen: Sequence[int]) -> list[int]:
    """Split ``total_fen`` (≥ 0) among parties who have received ``received_fen`` so far, so
    that each party's running total stays within one fen of its exact pro-rata share of the
    running total (Σ received + total); the parts are never negative and add up exactly.

    Every party first gets what brings it up to the floor of its exact running share (none
    is taken back from a party ahead of it); the fen left over go one each to the parties
    whose next fen falls due soonest — the smallest running total at which their exact share
    reaches it, (received + 1) / weight — ties to the earlier party. Earliest-due-first is
    Balinski and Young's quota method: it never leaves a later split unable to keep every
    party within one fen, whatever amounts come next, which the per-split largest remainder
    (``split_pro_rata``) cannot promise — its ties to the first party add up period after
    period. A running total that is off already (shares split by another rule before) gets
    its shortfalls filled pro rata, as far as ``total_fen`` goes.
    """
    fen(total_fen)
    _check_weights(weights)
    if len(received_fen) != len(weights):
        raise MoneyError("one received amount per party")
    if total_fen < 0 or any(fen(r) < 0 for r in received_fen):
        raise MoneyError("a running split takes amounts of zero or more")
    weight_sum = sum(weights)
    running_fen = sum(received_fen) + total_fen
    floors = [w * running_fen // weight_sum for w in weights]
    reached = [max(r, f) for r, f in zip(received_fen, floors, strict=True)]
    left_over = running_fen - sum(reached)
    if left_over < 0:   # received off the rule already: fill the shortfalls pro rata
        if total_fen == 0:
            return [0] * len(weights)
        short = [f - r for r, f in zip(received_fen, reached, strict=True)]
        return split_pro_rata(total_fen, short)
    behind = [i for i, w in enumerate(weights) if reached[i] * weight_sum < w * running_fen]
    behind.sort(key=lambda i: (Fraction(reached[i] + 1, weights[i]), i))
    for index in behind[:left_over]:
        reached[index] += 1
    return [after - before for after, before in zip(reached, received_fen, strict=True)]


def split_running(totals_fen: Sequence[int], weights: Sequence[int]) -> list[list[int]]:
    """Each of ``totals_fen`` split in turn by ``split_cumulative``, from nothing received:
    what each party gets of each amount (an installment series to its investors)."""
    received = [0] * len(weights)
    splits = []
    for total_fen in totals_fen:
        parts = split_cumulative(total_fen, weights, received)
        received = [r + p for r, p in zip(received, parts, strict=True)]
        splits.append(parts)
    return splits
