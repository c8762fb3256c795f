"""Partial rules on both backends: the custody fee (R-C2), strict reserved-mobile matching
(R-A1) and exchange-originated projects' records (R-C8)."""

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, text

from cunguan.core.errors import CunguanError
from cunguan.core.fields import FieldInvalid
from cunguan.custody.handlers.exchange_projects import ExchangeProjects
from cunguan.custody.handlers.lending_service import LendingService, ProjectTerms
from cunguan.custody.handlers.platform_fees import PlatformFees
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import migration as migration_rules
from cunguan.custody.rules.contracts import ExchangeOrigin
from cunguan.custody.rules.kyc import IdKind
from cunguan.custody.rules.schedules import Method
from cunguan.custody.store.queries import CustodyQueries
from cunguan.ledger.model import Transfer
from cunguan.ledger.store import daybook as daybook_store
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
    again = fees.charge(PLATFORM, "2026-11")
    assert again.ok and again.replayed and again.data["tx_id"] == charged.data["tx_id"]
    assert _balance(custody, chart.OWN) == own_before - 51_600     # charged once
    clock.advance(timedelta(days=1))
    assert days.close(PLATFORM).closed     # the day's checks still hold (R-L8)


def test_r_c2_the_custody_fee_leaves_the_custody_account_for_the_banks_income(
        engine: Engine) -> None:
    """The fee is the bank's income, not customer money: the own account and the summary
    account (the custody bank account) both go down by it, nothing of it stays in the
    platform's chart, and the day still closes (R-C1)."""
    custody, ledger, days, clock = services(engine)
    fees = PlatformFees(engine, ledger)
    fees.set_terms(PLATFORM, monthly_fen=50_000, annual_rate="0")
    clock.advance(timedelta(days=8))
    for _ in range(8):
        assert days.close(PLATFORM).closed
    summary_before, own_before = _balance(custody, chart.SUMMARY), _balance(custody, chart.OWN)
    assert fees.charge(PLATFORM, "2026-11").ok
    assert _balance(custody, chart.OWN) == own_before - 50_000
    assert _balance(custody, chart.SUMMARY) == summary_before - 50_000
    assert _balance(custody, chart.CUSTODY_FEE_INCOME) == 0
    clock.advance(timedelta(days=1))
    closed = days.close(PLATFORM)
    assert closed.closed, closed                 # Σ sub-accounts = summary + in transit


def test_r_c2_the_fee_base_is_the_customers_and_the_platforms_money(engine: Engine) -> None:
    """Money in the custody account that is neither the customers' nor the platform's — the
    bank's own fee income, migration clearing money, money advanced T+0 — is not billed."""
    _, ledger, days, clock = services(engine)
    ledger.open_accounts(PLATFORM, [migration_rules.CLEARING_SPEC])
    for no, debit, credit, amount_fen in (
            ("legacy-fee", chart.OWN, chart.CUSTODY_FEE_INCOME, 1_000_000),
            ("clearing", chart.SUMMARY, migration_rules.CLEARING, 5_000_000),
            ("advance", chart.SUMMARY, chart.ADVANCE, 3_000_000)):
        assert ledger.transfer(PLATFORM, Transfer(no, debit, credit, amount_fen)).ok
    fees = PlatformFees(engine, ledger)
    fees.set_terms(PLATFORM, monthly_fen=0, annual_rate="0.036")
    clock.advance(timedelta(days=8))
    for _ in range(8):
        assert days.close(PLATFORM).closed
    charged = fees.charge(PLATFORM, "2026-11")
    assert charged.ok, charged
    # own 9,000,000 + marketing 10,000,000 a day, not the 28,000,000 the summary holds
    assert charged.data["balance_days_fen"] == 8 * 19_000_000
    assert charged.data["fee_fen"] == 8 * 19_000_000 * 36 // 1000 // 360


def test_r_c2_a_fee_the_summary_account_does_not_hold_yet_waits_for_settlement(
        engine: Engine) -> None:
    """The platform's money is in the channel (T+1), not yet in the custody account: the fee
    cannot leave it, so the run is refused and nothing recorded, and charges once settled."""
    custody, ledger, days, clock = services(engine)
    assert ledger.transfer(PLATFORM, Transfer("unsettled", chart.CHANNEL_TRANSIT, chart.SUMMARY,
                                              15_000_000)).ok      # summary 5,000,000 left
    fees = PlatformFees(engine, ledger)
    fees.set_terms(PLATFORM, monthly_fen=6_000_000, annual_rate="0")
    clock.advance(timedelta(days=8))
    for _ in range(8):
        assert days.close(PLATFORM).closed
    refused = fees.charge(PLATFORM, "2026-11")
    assert refused.code == "awaiting_channel_settlement", refused
    assert fees.charges(PLATFORM) == [] and _balance(custody, chart.OWN) == 10_000_000
    assert ledger.transfer(PLATFORM, Transfer("settled", chart.SUMMARY, chart.CHANNEL_TRANSIT,
                                              15_000_000)).ok
    assert fees.charge(PLATFORM, "2026-11").ok
    assert _balance(custody, chart.SUMMARY) == 14_000_000


def test_r_c2_a_month_with_a_day_not_closed_is_not_charged(engine: Engine) -> None:
    """The month's last day cut over but its checks not passed: the month is still open, so
    the fee is neither charged on 7 days nor fixed for ever at them."""
    custody, ledger, days, clock = services(engine)
    fees = PlatformFees(engine, ledger)
    fees.set_terms(PLATFORM, monthly_fen=0, annual_rate="0.036")
    clock.advance(timedelta(days=8))
    for _ in range(7):                      # 11-23 … 11-29 closed
        assert days.close(PLATFORM).closed
    with engine.begin() as conn:            # 11-30 cut over, its close not run yet
        daybook_store.cut_over(conn, PLATFORM, days.calendar.is_working_day)
    own_before = _balance(custody, chart.OWN)
    refused = fees.charge(PLATFORM, "2026-11")
    assert refused.code == "fee_period_open", refused
    assert fees.charges(PLATFORM) == [] and _balance(custody, chart.OWN) == own_before
    assert days.close(PLATFORM).closed      # 11-30
    charged = fees.charge(PLATFORM, "2026-11")
    assert charged.ok and charged.data["closed_days"] == 8, charged


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


def _registered(custody: LendingService, project_id: str) -> bool:
    try:
        custody.project(PLATFORM, project_id)
    except CunguanError as exc:
        assert exc.code == "project_not_found"
        return False
    return True


def test_r_c8_one_contract_and_one_disbursement_back_one_project(engine: Engine) -> None:
    """A loan is offered once: the contract or the disbursement of a registered project
    registers no other project — for the same borrower or any other — so the platform never
    raises more on a loan than its principal."""
    custody, _, _, _ = services(engine)
    borrower, other = (open_user(custody, seq, role="borrower") for seq in (9, 10))
    exchange = ExchangeProjects(custody)
    assert exchange.register(PLATFORM, _terms("reg-0", "X0", borrower, 1_000_000),
                             _origin()).ok
    cases = [
        ("X1", borrower, _origin(disbursement_no="FK2"), "origin_contract_used"),
        ("X2", borrower, _origin(contract_no="JK-2"), "origin_disbursement_used"),
        ("X3", other, _origin(payee_account_no=icbc_card(10)), "origin_contract_used"),
    ]
    for project_id, who, origin, code in cases:
        refused = exchange.register(PLATFORM, _terms(f"reg-{project_id}", project_id, who,
                                                     500_000), origin)
        assert refused.code == code, (project_id, refused)
        assert exchange.origin(PLATFORM, project_id) is None
        assert not _registered(custody, project_id)
    again = exchange.register(PLATFORM, _terms("reg-0", "X0", borrower, 1_000_000), _origin())
    assert again.ok and again.replayed                  # the same request replays
    fresh = _origin(contract_no="JK-2", disbursement_no="FK2")
    assert exchange.register(PLATFORM, _terms("reg-4", "X4", borrower, 1_000_000), fresh).ok


def test_r_c8_the_loan_was_paid_to_the_borrowers_bound_card(engine: Engine) -> None:
    """The disbursement's payee account is a card bound to the project's borrower: another
    borrower's card, or a card nobody bound, is refused; the card typed with spaces is the
    card."""
    custody, _, _, _ = services(engine)
    open_user(custody, 9, role="borrower")          # icbc_card(9) is bound to u0009
    other = open_user(custody, 10, role="borrower")
    exchange = ExchangeProjects(custody)
    for seq, payee in enumerate((icbc_card(9), icbc_card(77), "62220200000000000000001")):
        refused = exchange.register(PLATFORM, _terms(f"reg-{seq}", f"X{seq}", other,
                                                     1_000_000), _origin(payee_account_no=payee))
        assert refused.code == "origin_payee_not_borrower", (payee, refused)
        assert not _registered(custody, f"X{seq}")
    card = icbc_card(10)
    spaced = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
    assert exchange.register(PLATFORM, _terms("reg-ok", "XOK", other, 1_000_000),
                             _origin(payee_account_no=spaced)).ok


def test_0019_refuses_to_upgrade_while_one_loan_backs_two_projects(engine: Engine) -> None:
    """Records stored before 0019 that share a contract are listed, nothing is changed, and
    the upgrade goes through once an operator has resolved them."""
    from alembic import command

    from cunguan.db.connection import alembic_config, current_revision, upgrade

    custody, _, _, _ = services(engine)
    borrower = open_user(custody, 9, role="borrower")
    exchange = ExchangeProjects(custody)
    assert exchange.register(PLATFORM, _terms("reg-0", "X0", borrower, 1_000_000),
                             _origin()).ok
    command.downgrade(alembic_config(engine), "0018")
    with engine.begin() as conn:                # what the older code let through
        conn.execute(text(
            "INSERT INTO custody_project_origins SELECT tenant_id, 'X1', contract_no, "
            "signed_on, lender_name, principal_fen, annual_rate, months, 'FK-other', "
            "disbursed_on, disbursed_fen, payee_account_no, recorded_at "
            "FROM custody_project_origins"))
    with pytest.raises(Exception, match="migration 0019 refused") as caught:
        upgrade(engine)
    assert "contract JK-2026-0001 backs projects X0, X1" in str(caught.value)
    assert current_revision(engine) == "0018"
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM custody_project_origins WHERE project_id = 'X1'"))
    upgrade(engine)
    assert current_revision(engine) != "0018"


def test_r_c8_a_registration_losing_the_race_for_the_records_is_answered_by_name(
        engine: Engine) -> None:
    """Two registrations of one contract at once: the unique key stops the second, which is
    answered origin_contract_used (not an IntegrityError) with nothing of it kept."""
    from cunguan.custody.handlers import exchange_projects
    from cunguan.custody.rules.contracts import OriginError, origin_row
    custody, _, _, _ = services(engine)
    borrower = open_user(custody, 9, role="borrower")
    assert ExchangeProjects(custody).register(
        PLATFORM, _terms("reg-0", "X0", borrower, 1_000_000), _origin()).ok
    with engine.begin() as conn:    # past the checks: the other committed in between
        with pytest.raises(OriginError) as lost:
            exchange_projects._record(conn, origin_row(PLATFORM, "X9", _origin(),
                                                       custody.clock()))
        assert lost.value.code == "origin_contract_used"
    assert ExchangeProjects(custody).origin(PLATFORM, "X9") is None
