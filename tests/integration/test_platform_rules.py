"""Partial rules on both backends: the custody fee (R-C2), strict reserved-mobile matching
(R-A1) and exchange-originated projects' records (R-C8)."""

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from cunguan.core.fields import FieldInvalid
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.contracts import ExchangeOrigin
from cunguan.custody.rules.kyc import IdKind
from cunguan.custody.rules.schedules import Method
from cunguan.service_layer.custody_queries import CustodyQueries
from cunguan.service_layer.exchange_projects import ExchangeProjects
from cunguan.service_layer.lending_service import LendingService, ProjectTerms
from cunguan.service_layer.platform_fees import PlatformFees
from tests.custody_helpers import PASSWORD, PLATFORM, icbc_card, open_user, resident_id, services


def _balance(custody: LendingService, account_no: str) -> int:
    return custody.ledger.account(PLATFORM, account_no).balance_fen


# -- R-C2: the custody fee -----------------------------------------------------------------
def test_r_c2_custody_fee_is_charged_from_the_own_account_once_a_month(engine: Engine
                                                                       ) -> None:
    custody, ledger, days, clock = services(engine)
    fees = PlatformFees(engine, ledger)
    fees.set_terms(PLATFORM, monthly_fen=50_000, annual_rate="0.0036")
    assert fees.charge(PLATFORM, "2026-11").code == "fee_period_open"
    clock.advance(timedelta(days=8))        # 12-01: the month's days have ended
    for _ in range(8):                      # 11-23 … 11-30 closed, 20,000,000 fen held
        assert days.close(PLATFORM).closed
    own_before = _balance(custody, chart.OWN)
    charged = fees.charge(PLATFORM, "2026-11")
    assert charged.ok, charged
    # 500 yuan fixed + 8 days × 200,000 yuan × 0.36 % / 360 = 16 yuan
    assert charged.data["closed_days"] == 8
    assert charged.data["balance_days_fen"] == 8 * 20_000_000
    assert charged.data["fee_fen"] == 50_000 + 1_600
    assert _balance(custody, chart.OWN) == own_before - 51_600
    assert _balance(custody, chart.CUSTODY_FEE_INCOME) == 51_600
    again = fees.charge(PLATFORM, "2026-11")
    assert again.ok and again.replayed and again.data["tx_id"] == charged.data["tx_id"]
    assert _balance(custody, chart.OWN) == own_before - 51_600     # charged once
    clock.advance(timedelta(days=1))
    assert days.close(PLATFORM).closed     # the day's checks still hold (R-L8)


def test_r_c2_a_short_own_account_is_refused_and_the_month_owed(engine: Engine) -> None:
    custody, ledger, days, clock = services(engine)
    fees = PlatformFees(engine, ledger)
    fees.set_terms(PLATFORM, monthly_fen=12_000_000, annual_rate="0")   # > 100,000 yuan own
    clock.advance(timedelta(days=8))
    for _ in range(8):
        assert days.close(PLATFORM).closed
    refused = fees.charge(PLATFORM, "2026-11")
    assert refused.code == "platform_own_insufficient"
    assert _balance(custody, chart.OWN) == 10_000_000
    assert [(r["period"], r["status"], r["fee_fen"]) for r in fees.charges(PLATFORM)] == [
        ("2026-11", "owed", 12_000_000)]
    assert custody.fund_platform(PLATFORM, "fund-more", chart.OWN, 5_000_000).ok
    paid = fees.charge(PLATFORM, "2026-11")
    assert paid.ok and paid.data["attempts"] == 2 and paid.data["status"] == "charged"
    assert _balance(custody, chart.OWN) == 3_000_000


def test_r_c2_fee_terms_are_refused_when_malformed(engine: Engine) -> None:
    _, ledger, _, _ = services(engine)
    fees = PlatformFees(engine, ledger)
    for monthly, rate in ((-1, "0"), (0, "0.5"), (0, "1e-3"), (True, "0")):
        with pytest.raises(FieldInvalid):
            fees.set_terms(PLATFORM, monthly_fen=monthly, annual_rate=rate)
    assert fees.charge(PLATFORM, "2026-13").code == "field_invalid"


# -- R-A1: strict reserved-mobile matching -------------------------------------------------
def test_r_a1_strict_reserved_phone_is_a_platform_setting(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    bank_says = {icbc_card(1): "13800000001", icbc_card(2): "13999999999",
                 icbc_card(7): "13800000001"}
    custody.reserved_phones = bank_says.get
    serials = itertools.count()

    def opening(seq: int, mobile: str) -> str:
        return custody.open_user(
            PLATFORM, f"open-{seq}-{next(serials)}", user_id=f"a{seq}", role="lender", name="张三",
            id_kind=IdKind.RESIDENT_ID, id_no=resident_id(seq), mobile=mobile,
            card_no=icbc_card(seq), password=PASSWORD).code

    assert opening(2, "13800000002") == "ok"            # not set: may differ
    settings = CustodyQueries(engine).set_settings(PLATFORM, callback_url=None,
                                                   return_url_prefix=None,
                                                   strict_reserved_phone=True)
    assert settings["strict_reserved_phone"] is True
    assert opening(3, "13800000003") == "reserved_mobile_unknown"   # the bank cannot tell
    assert opening(4, "13800000004") == "reserved_mobile_unknown"
    assert opening(1, "13800000009") == "mobile_mismatch"
    assert opening(5, "13800000001") == "reserved_mobile_unknown"
    assert opening(1, "138 0000 0001") == "ok"          # the reserved one, however typed
    # Binding a card: the card's reserved mobile must be the account's.
    assert custody.bind_card(PLATFORM, "bind-2", "a2", icbc_card(7)).code == "mobile_mismatch"
    assert custody.bind_card(PLATFORM, "bind-1", "a1", icbc_card(7)).ok


# -- R-C8: exchange-originated projects ----------------------------------------------------
def _terms(request_no: str, project_id: str, borrower: str, amount_fen: int) -> ProjectTerms:
    return ProjectTerms(request_no, project_id, borrower, amount_fen, "0.08", 12,
                        Method.EQUAL_INSTALLMENT, 10_000, 1_000_000, 10_000)


def _origin(**changes: object) -> ExchangeOrigin:
    values: dict[str, object] = {
        "contract_no": "JK-2026-0001", "signed_on": date(2026, 11, 1),
        "lender_name": "天津金融资产交易所", "principal_fen": 1_000_000, "annual_rate": "0.08",
        "months": 12, "disbursement_no": "FK20261102001", "disbursed_on": date(2026, 11, 2),
        "disbursed_fen": 1_000_000, "payee_account_no": icbc_card(9)}
    values.update(changes)
    return ExchangeOrigin(**values)  # type: ignore[arg-type]


def test_r_c8_exchange_projects_carry_their_contract_and_disbursement(engine: Engine
                                                                      ) -> None:
    custody, _, _, _ = services(engine)
    borrower = open_user(custody, 9, role="borrower")
    exchange = ExchangeProjects(custody)
    registered = exchange.register(PLATFORM, _terms("reg-x1", "X1", borrower, 1_000_000),
                                   _origin())
    assert registered.ok, registered
    view = custody.project(PLATFORM, "X1")
    assert view["origin"]["contract_no"] == "JK-2026-0001"
    assert view["origin"]["disbursement_no"] == "FK20261102001"
    assert view["origin"]["disbursed_fen"] == 1_000_000
    assert view["origin"]["payee_account_masked"].endswith(icbc_card(9)[-4:])
    assert exchange.origin(PLATFORM, "X1") == view["origin"]
    assert custody.project(PLATFORM, "X1")["status"] == "raising"
    # An ordinary project has none.
    assert custody.register_project(
        PLATFORM, "reg-p1", project_id="P1", borrower_user_id=borrower, amount_fen=100_000,
        annual_rate="0.08", months=12, method=Method.EQUAL_INSTALLMENT, bid_min_fen=10_000,
        bid_max_fen=100_000, bid_step_fen=10_000).ok
    assert custody.project(PLATFORM, "P1")["origin"] is None


def test_r_c8_records_that_disagree_are_refused_and_nothing_is_registered(engine: Engine
                                                                          ) -> None:
    custody, _, _, _ = services(engine)
    borrower = open_user(custody, 9, role="borrower")
    exchange = ExchangeProjects(custody)
    cases = [
        (_origin(disbursed_fen=900_000), "origin_mismatch"),
        (_origin(disbursed_on=date(2026, 10, 1)), "origin_mismatch"),
        (_origin(principal_fen=500_000, disbursed_fen=500_000), "origin_mismatch"),
        (_origin(months=24), "origin_mismatch"),
        (_origin(contract_no="JK 0001"), "field_invalid"),
        (_origin(payee_account_no="６２２２"), "field_invalid"),
    ]
    for index, (origin, code) in enumerate(cases):
        refused = exchange.register(PLATFORM, _terms(f"reg-{index}", f"X{index}", borrower,
                                                     1_000_000), origin)
        assert refused.code == code, (index, refused)
    assert exchange.origin(PLATFORM, "X0") is None
    unknown = exchange.register(PLATFORM, _terms("reg-u", "XU", "nobody", 1_000_000),
                                _origin())
    assert unknown.code == "user_not_found"
    assert exchange.origin(PLATFORM, "XU") is None
