"""Withdrawal routing (R-C16) and fees (R-C17): pure rules."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum

from cunguan.core import limits
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import CST
from cunguan.core.errors import RuleError, invariant
from cunguan.core.money import Rate, apply_rate, format_yuan, to_fraction
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.ledger.rules import AccountState, check_available, check_can_pay


class Rail(StrEnum):
    SUPER_ONLINE = "super_online"   # 超级网银 (网上支付跨行清算系统)
    HVPS = "hvps"                   # 大额支付系统
    BEPS = "beps"                   # 小额批量支付系统: an ordinary credit in the next package


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """When each rail takes a payout, and what each costs the bank. Defaults follow R-C16;
    all are configurable.

    Attributes:
      super_online_max_fen: super online banking takes payouts up to this, any time.
      hvps_daily_max_fen: HVPS takes at most this a day per payer.
      hvps_opens: HVPS opens at this time on the day before a working day …
      hvps_closes: … and closes at this time on the working day.
      beps_enabled: payouts may go by BEPS as ordinary credits (batched, next session; the
        custody bank must be a BEPS participant: ``beps_bank_code``).
      beps_max_fen: BEPS takes payouts up to this (at most ``custody_beps_withdrawal_max_fen``,
        BEPS's own ceiling for credits, R-S1).
      beps_bank_code: the custody bank's CNAPS code as a BEPS participant.
      beps_bank_codes: a card's issuing bank (its BIN table code, "ICBC") → the CNAPS code
        BEPS knows it by; a card of a bank not named here cannot be paid by BEPS.
      super_online_fee_fen, hvps_fee_fen, beps_fee_fen: what a payout by each rail costs the
        bank; of the rails that may take a payout the cheapest is chosen (a tie goes to BEPS,
        the rail the bank enabled to save) unless the platform asks for an urgent payout,
        which BEPS never takes.
    """

    super_online_max_fen: int = 5_000_000          # 50,000 yuan, any time
    hvps_daily_max_fen: int = 2_000_000_000        # 20,000,000 yuan per payer per day
    hvps_opens: time = time(23, 30)                # on the day before a working day
    hvps_closes: time = time(17, 15)               # on the working day
    beps_enabled: bool = False
    beps_max_fen: int = limits.custody_beps_withdrawal_max_fen
    beps_bank_code: str | None = None
    beps_bank_codes: Mapping[str, str] = field(default_factory=dict)
    super_online_fee_fen: int = 0
    hvps_fee_fen: int = 0
    beps_fee_fen: int = 0

    def __post_init__(self) -> None:
        invariant(0 < self.beps_max_fen <= limits.custody_beps_withdrawal_max_fen,
                  "beps_max_fen out of range")
        invariant(all(0 <= fee <= limits.amount_fen_max for fee in (
            self.super_online_fee_fen, self.hvps_fee_fen, self.beps_fee_fen)),
            "a rail's fee out of range")

    def rail_fee_fen(self, rail: "Rail") -> int:
        return {Rail.SUPER_ONLINE: self.super_online_fee_fen, Rail.HVPS: self.hvps_fee_fen,
                Rail.BEPS: self.beps_fee_fen}[rail]

    def beps_code_of(self, card_bank_code: str) -> str | None:
        """The CNAPS code BEPS pays a card of this issuing bank through, when BEPS may."""
        if not self.beps_enabled or self.beps_bank_code is None:
            return None
        return self.beps_bank_codes.get(card_bank_code)


class RouteRefused(RuleError):
    """A payout no rail may take now."""


def hvps_business_day(now: datetime, calendar: WorkingCalendar,
                      policy: RoutingPolicy) -> datetime | None:
    """The working day whose HVPS window is open at ``now`` (CST), or None when closed."""
    local = now.astimezone(CST)
    today = local.date()
    if calendar.is_working_day(today) and local.time() <= policy.hvps_closes:
        return datetime.combine(today, time(0), CST)
    tomorrow = today + timedelta(days=1)
    if local.time() >= policy.hvps_opens and calendar.is_working_day(tomorrow):
        return datetime.combine(tomorrow, time(0), CST)
    return None


def route(amount_fen: int, now: datetime, *, hvps_used_today_fen: int,
          calendar: WorkingCalendar, policy: RoutingPolicy = RoutingPolicy(),
          beps_reachable: bool = False, urgent: bool = False) -> Rail:
    """Pick the payout rail, or refuse before the request reaches the bank, with the reason.

    Up to ``super_online_max_fen`` super online banking takes it, and BEPS too when it may
    (``beps_reachable``: enabled and the card's bank known to it, not ``urgent``, within
    ``beps_max_fen``): the cheaper of the two by ``policy``'s fees, a tie to BEPS. Above,
    HVPS in its window and within its daily quota."""
    if amount_fen <= policy.super_online_max_fen:
        if beps_reachable and not urgent and amount_fen <= policy.beps_max_fen:
            return min((Rail.BEPS, Rail.SUPER_ONLINE), key=policy.rail_fee_fen)
        return Rail.SUPER_ONLINE
    if hvps_business_day(now, calendar, policy) is None:
        limit = format_yuan(policy.super_online_max_fen)
        raise RouteRefused(
            Refusal.HVPS_CLOSED,
            f"{format_yuan(amount_fen)} yuan is above the {limit} yuan limit of super online "
            f"banking and HVPS is closed: it takes large payouts from "
            f"{policy.hvps_opens:%H:%M} on the day before a working day to "
            f"{policy.hvps_closes:%H:%M} on the working day")
    if hvps_used_today_fen + amount_fen > policy.hvps_daily_max_fen:
        left = max(0, policy.hvps_daily_max_fen - hvps_used_today_fen)
        raise RouteRefused(Refusal.HVPS_DAILY_LIMIT,
                           f"HVPS takes at most {format_yuan(policy.hvps_daily_max_fen)} yuan a "
                           f"day per payer; {format_yuan(left)} yuan is left today")
    return Rail.HVPS


def beps_serial_no(tenant_id: str, withdrawal_no: str) -> str:
    """The serial no. a BEPS payout goes out under at the custody bank: unique per platform
    and withdrawal, short enough for an end-to-end id (35)."""
    digest = hashlib.blake2b(f"{tenant_id}|{withdrawal_no}".encode(), digest_size=16)
    return f"W{digest.hexdigest()}"


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """R-C17 defaults: one free withdrawal a calendar month, then 3.00 yuan up to 1,000 yuan
    and 0.3% above; ``fee_from_amount`` takes the fee out of the amount instead."""

    free_per_month: int = 1
    flat_fee_fen: int = 300
    flat_up_to_fen: int = 100_000
    rate_above: Rate = "0.003"
    fee_from_amount: bool = False


def withdrawal_fee(amount_fen: int, withdrawals_this_month: int,
                   policy: FeePolicy = FeePolicy()) -> int:
    if withdrawals_this_month < policy.free_per_month:
        return 0
    if amount_fen <= policy.flat_up_to_fen:
        return policy.flat_fee_fen
    return apply_rate(amount_fen, policy.rate_above)


def max_withdrawable(available_fen: int, withdrawals_this_month: int,
                     policy: FeePolicy = FeePolicy()) -> int:
    """The largest amount whose amount + fee fits in ``available_fen`` (0 if none)."""
    if available_fen <= 0:
        return 0
    if policy.fee_from_amount or withdrawals_this_month < policy.free_per_month:
        return available_fen
    candidates = [min(available_fen - policy.flat_fee_fen, policy.flat_up_to_fen)]
    estimate = int(available_fen / (1 + to_fraction(policy.rate_above)))
    for amount in range(estimate + 2, estimate - 3, -1):
        if amount > policy.flat_up_to_fen and amount + withdrawal_fee(
                amount, withdrawals_this_month, policy) <= available_fen:
            candidates.append(amount)
            break
    return max(0, *candidates)


class WithdrawalRefused(RuleError):
    """A withdrawal its fee or the money available refuses; ``details`` go in the answer."""

    def __init__(self, code: str, message: str, **details: int) -> None:
        super().__init__(code, message)
        self.details = details


def fee_and_payout_fen(amount_fen: int, withdrawals_this_month: int,
                       policy: FeePolicy = FeePolicy()) -> tuple[int, int]:
    """(fee, amount paid out): the fee is on top, or taken from the amount if so set."""
    fee_fen = withdrawal_fee(amount_fen, withdrawals_this_month, policy)
    if policy.fee_from_amount:
        if fee_fen >= amount_fen:
            raise WithdrawalRefused(Refusal.AMOUNT_BELOW_FEE, "the amount does not cover the fee")
        return fee_fen, amount_fen - fee_fen
    return fee_fen, amount_fen


def check_withdrawable(available_fen: int, amount_fen: int, fee_fen: int,
                       withdrawals_this_month: int, policy: FeePolicy = FeePolicy()) -> None:
    """Refuse a withdrawal whose amount and fee (when on top) exceed ``available_fen``,
    naming the most that can be withdrawn now."""
    if amount_fen + (0 if policy.fee_from_amount else fee_fen) > available_fen:
        best = max_withdrawable(available_fen, withdrawals_this_month, policy)
        raise WithdrawalRefused(Refusal.EXCEEDS_AVAILABLE,
                                f"at most {format_yuan(best)} yuan can be withdrawn now "
                                "(amount plus fee)", max_withdrawable_fen=best)


@dataclass(frozen=True, slots=True)
class WithdrawnSoFar:
    """A user's withdrawals that count towards the next one's fee and rail.

    Attributes:
      this_month: withdrawals this calendar month (CST) not failed or refused, for the free
        ones (R-C17); the count may stop at the free allowance, past which all pay alike.
      hvps_today_fen: the amount sent by HVPS today, for its daily quota (R-C16).
    """

    this_month: int = 0
    hvps_today_fen: int = 0


def counted(so_far: WithdrawnSoFar, paid_fen: int, rail: Rail) -> WithdrawnSoFar:
    """``so_far`` once a withdrawal paying ``paid_fen`` by ``rail`` is held: the later ones of
    the same set-based call count it, as they would had it come in a call before."""
    hvps_fen = paid_fen if rail is Rail.HVPS else 0
    return WithdrawnSoFar(so_far.this_month + 1, so_far.hvps_today_fen + hvps_fen)


# -- a withdrawal's steps, their refusals as custody answers them ------------------------------
def rail_or_refuse(amount_fen: int, now: datetime, hvps_used_today_fen: int,
                   calendar: WorkingCalendar, policy: RoutingPolicy, *,
                   beps_reachable: bool = False, urgent: bool = False) -> Rail:
    """``route``, a payout no rail takes now refused as custody answers it."""
    try:
        return route(amount_fen, now, hvps_used_today_fen=hvps_used_today_fen,
                     calendar=calendar, policy=policy, beps_reachable=beps_reachable,
                     urgent=urgent)
    except RouteRefused as exc:
        raise CustodyError(exc.code, str(exc)) from exc


def fee_or_refuse(amount_fen: int, withdrawals_this_month: int,
                  policy: FeePolicy) -> tuple[int, int]:
    """(fee, amount paid out) by the platform's fee policy, refused as custody answers it."""
    try:
        return fee_and_payout_fen(amount_fen, withdrawals_this_month, policy)
    except WithdrawalRefused as exc:
        raise CustodyError(exc.code, str(exc)) from exc


def need_withdrawable(available_fen: int, amount_fen: int, fee_fen: int,
                      withdrawals_this_month: int, policy: FeePolicy) -> None:
    """``check_withdrawable``, refused as custody answers it (the most withdrawable named)."""
    try:
        check_withdrawable(available_fen, amount_fen, fee_fen, withdrawals_this_month, policy)
    except WithdrawalRefused as exc:
        raise CustodyError(exc.code, str(exc), **exc.details) from exc


def count_hold(account: AccountState, so_far: WithdrawnSoFar, paid_fen: int, fee_fen: int,
               rail: Rail) -> WithdrawnSoFar:
    """The in-batch quota: when the ledger will apply a withdrawal's hold of ``paid_fen`` +
    ``fee_fen`` (the account may pay and has the money), ``account`` (the batch's working
    copy) holds it and the later withdrawals of the call count it; else nothing changes."""
    held_fen = paid_fen + fee_fen
    if check_can_pay(account) is not None or check_available(account, held_fen) is not None:
        return so_far
    account.frozen_fen += held_fen
    return counted(so_far, paid_fen, rail)
