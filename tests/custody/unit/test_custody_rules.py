"""Custody's pure rules: cards, identity, passwords, schedules, routing, fees, bids."""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cunguan.core import limits
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import CST
from cunguan.custody.cards import BinTable, CardError, CardType, validate_card_no
from cunguan.custody.rules.bids import Bidder, BidTerms, ProjectStatus, check_bid
from cunguan.custody.rules.kyc import IdKind, KycError, check_identity
from cunguan.custody.rules.passwords import (
    PasswordError,
    check_attempt,
    hash_password,
)
from cunguan.custody.rules.schedules import (
    DayCount,
    Method,
    add_months,
    schedule,
    split_installment,
)
from cunguan.custody.rules.withdrawals import (
    FeePolicy,
    Rail,
    RouteRefused,
    max_withdrawable,
    route,
    withdrawal_fee,
)

BINS = BinTable.shipped()
# A valid resident ID (GB 11643 check digit) of someone born 1990-03-07.
ADULT_ID = "110105199003078035"
ICBC_DEBIT = "6222021234567890128"  # 622202 ICBC DC, 19 digits, Luhn-valid


def _luhn_complete(prefix: str, length: int) -> str:
    from stdnum import luhn

    body = prefix + "0" * (length - len(prefix) - 1)
    return body + luhn.calc_check_digit(body)


def test_r_c4_debit_card_is_identified_by_longest_bin_and_length() -> None:
    card = validate_card_no(_luhn_complete("622202", 19), BINS)
    assert (card.bank_code, card.card_type) == ("ICBC", CardType.DEBIT)
    # 622302 is GDRCC for 16 digits and ICBC for 18: the length decides.
    assert validate_card_no(_luhn_complete("622302", 18), BINS).bank_code == "ICBC"
    assert validate_card_no(_luhn_complete("622302", 16), BINS).bank_code == "GDRCC"


@pytest.mark.parametrize(("card_no", "code"), [
    ("6222021234567890127", "card_no_invalid"),      # check digit off by one
    ("12345", "card_no_invalid"),
    (_luhn_complete("356390", 16), "card_not_debit"),  # CITIC credit card
    (_luhn_complete("123456", 16), "card_bin_unknown"),
])
def test_r_c4_bad_cards_are_refused_by_name(card_no: str, code: str) -> None:
    with pytest.raises(CardError) as caught:
        validate_card_no(card_no, BINS)
    assert caught.value.code == code


def test_r_c4_identity_adult_resident_passes_and_minor_is_refused() -> None:
    person = check_identity("张三", IdKind.RESIDENT_ID, ADULT_ID, "13800138000",
                            on=date(2026, 11, 23))
    assert person.birth_date == date(1990, 3, 7) and not person.needs_review
    with pytest.raises(KycError) as caught:
        check_identity("张三", IdKind.RESIDENT_ID, ADULT_ID, "13800138000",
                       on=date(2008, 3, 6))  # one day short of 18
    assert caught.value.code == "under_age"
    assert check_identity("张三", IdKind.RESIDENT_ID, ADULT_ID, "13800138000",
                          on=date(2008, 3, 7)).birth_date is not None


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"id_no": "110105199003078036"}, "id_no_invalid"),
    ({"mobile": "12800138000"}, "mobile_invalid"),
    ({"name": " "}, "name_invalid"),
    ({"reserved_mobile": "13900139000", "strict_mobile_match": True}, "mobile_mismatch"),
])
def test_r_c4_r_a1_bad_elements_are_refused_by_name(kwargs: dict[str, object], code: str
                                                    ) -> None:
    args: dict[str, object] = {"name": "张三", "id_kind": IdKind.RESIDENT_ID, "id_no": ADULT_ID,
                               "mobile": "13800138000", "on": date(2026, 11, 23)}
    args.update(kwargs)
    with pytest.raises(KycError) as caught:
        check_identity(**args)  # type: ignore[arg-type]
    assert caught.value.code == code


def test_r_c4_passports_and_permits_go_to_manual_review() -> None:
    for kind in (IdKind.PASSPORT, IdKind.HK_MACAU_PERMIT, IdKind.TAIWAN_PERMIT):
        assert check_identity("John Smith", kind, "e1234567", "13800138000",
                              on=date(2026, 11, 23)).needs_review


def test_r_c4_password_hash_is_argon2id_with_the_minimum_cost() -> None:
    encoded = hash_password("246810")
    assert encoded.startswith("$argon2id$") and "m=19456,t=2" in encoded
    with pytest.raises(PasswordError):
        hash_password("111111")
    with pytest.raises(PasswordError):
        hash_password("12345")


def test_r_c4_five_failures_lock_the_password_even_for_the_right_digits() -> None:
    encoded = hash_password("246810")
    now = datetime(2026, 11, 23, 10, tzinfo=CST)
    failed, locked = 0, None
    for _ in range(limits.failed_password_attempts_max):
        attempt = check_attempt(encoded, "000001", failed_attempts=failed,
                                locked_until=locked, now=now)
        assert not attempt.ok
        failed, locked = attempt.failed_attempts, attempt.locked_until
    assert locked is not None
    with pytest.raises(PasswordError) as caught:
        check_attempt(encoded, "246810", failed_attempts=failed, locked_until=locked, now=now)
    assert caught.value.code == "password_locked"
    later = check_attempt(encoded, "246810", failed_attempts=failed, locked_until=locked,
                          now=locked + timedelta(seconds=1))
    assert later.ok and later.failed_attempts == 0


def test_r_c12_published_figures() -> None:
    start = date(2026, 1, 15)
    mortgage = schedule(20_000_000, "0.075", 180, Method.EQUAL_INSTALLMENT, start=start)
    assert {i.total_fen for i in mortgage[:-1]} == {185_402}  # 1,854.02 yuan a month
    interest_first = schedule(10_000_000, "0.12", 12, Method.INTEREST_FIRST, start=start)
    assert [i.total_fen for i in interest_first] == [100_000] * 11 + [10_100_000]
    bullet = schedule(10_000_000, "0.12", 12, Method.BULLET, start=start)
    assert [(i.principal_fen, i.interest_fen) for i in bullet] == [(10_000_000, 1_200_000)]
    equal_principal = schedule(10_000_000, "0.12", 12, Method.EQUAL_PRINCIPAL, start=start)
    assert equal_principal[0].principal_fen == 833_333
    assert equal_principal[0].interest_fen == 100_000
    assert equal_principal[1].interest_fen == 91_667  # on 9,166,667 fen


def test_r_c12_day_counts_and_due_dates() -> None:
    loan = schedule(3_650_000, "0.10", 2, Method.INTEREST_FIRST, start=date(2026, 1, 31),
                    day_count=DayCount.ACT_365)
    assert [i.due_date for i in loan] == [date(2026, 2, 28), date(2026, 3, 31)]
    assert [i.interest_fen for i in loan] == [28_000, 31_000]  # 28 and 31 days
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


@settings(max_examples=150)
@given(principal=st.integers(100, 10**10), rate_bp=st.integers(0, 3600),
       months=st.integers(1, 360), method=st.sampled_from(list(Method)),
       shares=st.lists(st.integers(1, 10**8), min_size=1, max_size=30))
def test_r_c12_principal_repaid_equals_principal_lent_and_shares_add_up(
        principal: int, rate_bp: int, months: int, method: Method, shares: list[int]) -> None:
    plan = schedule(principal, f"{rate_bp / 10000:.4f}", months, method, start=date(2026, 1, 31))
    assert sum(i.principal_fen for i in plan) == principal
    assert all(i.principal_fen >= 0 and i.interest_fen >= 0 for i in plan)
    for installment in plan[:3] + plan[-1:]:
        parts = split_installment(installment, shares)
        assert sum(p for p, _ in parts) == installment.principal_fen
        assert sum(i for _, i in parts) == installment.interest_fen


CALENDAR = WorkingCalendar()


@pytest.mark.parametrize(("when", "amount_fen", "expected"), [
    (datetime(2026, 11, 23, 10, 0, tzinfo=CST), 10_000_000, Rail.HVPS),        # Monday 10:00
    (datetime(2026, 11, 21, 14, 0, tzinfo=CST), 5_000_000, Rail.SUPER_ONLINE),  # Sat, ≤ 50,000
    (datetime(2026, 11, 22, 23, 45, tzinfo=CST), 10_000_000, Rail.HVPS),       # Sun 23:45
])
def test_r_c16_routing_picks_the_rail(when: datetime, amount_fen: int, expected: Rail) -> None:
    assert route(amount_fen, when, hvps_used_today_fen=0, calendar=CALENDAR) is expected


@pytest.mark.parametrize("when", [
    datetime(2026, 11, 21, 14, 0, tzinfo=CST),   # Saturday 14:00
    datetime(2026, 11, 23, 17, 16, tzinfo=CST),  # Monday after 17:15
    datetime(2026, 10, 1, 10, 0, tzinfo=CST),    # National Day
])
def test_r_c16_large_payout_outside_the_hvps_window_is_refused_with_reason(
        when: datetime) -> None:
    with pytest.raises(RouteRefused) as caught:
        route(10_000_000, when, hvps_used_today_fen=0, calendar=CALENDAR)
    assert caught.value.code == "hvps_closed" and "23:30" in str(caught.value)


def test_r_c16_hvps_daily_limit() -> None:
    with pytest.raises(RouteRefused) as caught:
        route(10_000_000, datetime(2026, 11, 23, 10, tzinfo=CST),
              hvps_used_today_fen=1_995_000_000, calendar=CALENDAR)
    assert caught.value.code == "hvps_daily_limit" and "50,000.00" in str(caught.value)


def test_r_c17_fee_rule() -> None:
    assert withdrawal_fee(500_000, 0) == 0             # first this month is free
    assert withdrawal_fee(100_000, 1) == 300           # ≤ 1,000 yuan: 3.00
    assert withdrawal_fee(100_001, 1) == 300           # 0.3% of 1,000.01 = 3.00003 → 3.00
    assert withdrawal_fee(200_000, 1) == 600           # 0.3% of 2,000
    assert withdrawal_fee(100_000, 5, FeePolicy(free_per_month=0)) == 300


@given(available=st.integers(0, 10**9), used=st.integers(0, 3))
def test_r_c17_max_withdrawable_is_the_largest_that_fits(available: int, used: int) -> None:
    best = max_withdrawable(available, used)
    assert best == 0 or best + withdrawal_fee(best, used) <= available
    nxt = best + 1
    assert nxt + withdrawal_fee(nxt, used) > available


TERMS = BidTerms("borrower", ProjectStatus.RAISING, 1_000_000, 900_000, 10_000, 500_000,
                 10_000, newbie_only=False, risk_level=2)
BIDDER = Bidder("investor", True, True, 200_000, has_bid_before=True, risk_tolerance=3)


@pytest.mark.parametrize(("terms", "bidder", "amount", "code"), [
    (TERMS, BIDDER, 50_000, None),
    (TERMS, Bidder("investor", False, True, 10**9, True, 3), 50_000, "investor_account_not_open"),
    (TERMS, Bidder("investor", True, False, 10**9, True, 3), 50_000, "authorization_required"),
    (TERMS, Bidder("borrower", True, True, 10**9, True, 3), 50_000, "borrower_cannot_bid"),
    (BidTerms("borrower", ProjectStatus.LENT, 1_000_000, 900_000, 10_000, 500_000, 10_000,
              False, 2), BIDDER, 50_000, "project_not_raising"),
    (TERMS, BIDDER, 5_000, "bid_below_minimum"),
    (TERMS, BIDDER, 25_000, "bid_not_on_step"),
    (TERMS, BIDDER, 110_000, "bid_exceeds_remaining"),
    (BidTerms("borrower", ProjectStatus.RAISING, 1_000_000, 0, 10_000, 500_000, 10_000, True,
              2), BIDDER, 50_000, "newbie_project_only_once"),
    (TERMS, Bidder("investor", True, True, 10**9, True, 1), 50_000, "risk_level_unsuitable"),
    (TERMS, Bidder("investor", True, True, 40_000, True, 3), 50_000, "exceeds_available"),
])
def test_r_c9_bid_checks(terms: BidTerms, bidder: Bidder, amount: int, code: str | None
                         ) -> None:
    assert check_bid(terms, bidder, amount) == code


@settings(max_examples=300)
@given(principal=st.integers(1, 10**6), rate_bp=st.integers(0, 3600),
       months=st.integers(1, 120), method=st.sampled_from(list(Method)))
def test_r_c12_every_schedule_repays_to_completion(principal: int, rate_bp: int, months: int,
                                                    method: Method) -> None:
    """R-C12: the last installment always carries principal (a repayment ends the loan); an
    amortizing loan of at least a fen a month has no 0.00 installment; and what is left at
    0.00 is exactly what owes nothing, paid at lending."""
    from cunguan.custody.rules.schedules import owes_nothing

    plan = schedule(principal, f"{rate_bp / 10000:.4f}", months, method,
                    start=date(2026, 1, 31))
    assert sum(i.principal_fen for i in plan) == principal
    assert plan[-1].principal_fen > 0 and not owes_nothing(plan[-1])
    if method in (Method.EQUAL_PRINCIPAL, Method.EQUAL_INSTALLMENT) and principal >= months:
        assert not any(owes_nothing(i) for i in plan)
    if method is Method.EQUAL_PRINCIPAL and principal >= months:
        assert min(i.principal_fen for i in plan) >= 1


def test_r_c12_one_yuan_over_36_months_spreads_the_principal_fen_by_fen() -> None:
    plan = schedule(100, "0", 36, Method.EQUAL_PRINCIPAL, start=date(2026, 1, 31))
    assert [i.principal_fen for i in plan] == [2] * 8 + [3] * 28


# -- identity fields normalized at the domain boundary (R-C4) ------------------------------
def test_r_c4_identity_is_returned_normalized() -> None:
    person = check_identity(" 张三\n", IdKind.RESIDENT_ID, ADULT_ID[:-1] + " " + ADULT_ID[-1],
                            "138-0013-8000\n", on=date(2026, 11, 23))
    assert (person.name, person.id_no, person.mobile) == ("张三", ADULT_ID, "13800138000")
    passport = check_identity("John Smith", IdKind.PASSPORT, " e 1234567 ", "13800138000",
                              on=date(2026, 11, 23))
    assert passport.id_no == "E1234567"


@pytest.mark.parametrize("mobile", ["１３８００１３８０００", "13８００１３８０００",
                                    "13٨٠٠١٣٨٠٠٠", "1380013800", "13800138000\x00"])
def test_r_c4_mobiles_in_other_digits_or_with_control_characters_are_refused(mobile: str
                                                                             ) -> None:
    with pytest.raises(KycError) as caught:
        check_identity("张三", IdKind.RESIDENT_ID, ADULT_ID, mobile, on=date(2026, 11, 23))
    assert caught.value.code == "mobile_invalid"


@given(cuts=st.lists(st.integers(1, len(ICBC_DEBIT) - 1), max_size=5, unique=True),
       separator=st.sampled_from([" ", "-", "\t"]))
def test_r_c4_a_card_typed_with_separators_normalizes_to_one_number(cuts: list[int],
                                                                    separator: str) -> None:
    from cunguan.custody.cards import normalize_card_no

    typed = ICBC_DEBIT
    for cut in sorted(cuts, reverse=True):
        typed = typed[:cut] + separator + typed[cut:]
    assert normalize_card_no(f" {typed}\n") == ICBC_DEBIT
    with pytest.raises(CardError):
        normalize_card_no(typed.replace("6", "６", 1))
