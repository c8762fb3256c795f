"""Issue 18: every custody command checks its fields where it is built, whoever calls it.

Through the Python service layer, ``withdraw(-100)``, ``withdraw(0)`` and ``withdraw(True)``
used to post (a hold and a fee for −1.00 yuan, stuck for ever), ``bid(True)`` froze 1 fen,
``register_project`` and ``authorize`` took 1.5, 100.0 and True, and 2**63, NaN, strings and
None raised TypeError, OverflowError or IntegrityError — or came back under a misleading code.
Each must now be answered ``field_invalid`` naming the field, with nothing posted and nothing
recorded (the serial no. stays free for a corrected request).
"""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from cunguan.core.clock import CST
from cunguan.custody.handlers.commands import CardRequest
from cunguan.custody.handlers.lending_service import BidRequest, LendingService
from cunguan.custody.rules.schedules import Method
from cunguan.custody.store.tables import custody_requests
from cunguan.ledger.store.tables import fund_log, holds
from tests.conftest import fresh_engine
from tests.custody_helpers import PASSWORD, PLATFORM, icbc_card, open_user, services

#: Values no money field may take: bools are not ints, floats are not fen, and so on.
NOT_MONEY: list[Any] = [True, False, 0, -1, -100, 1.5, 100.0, float("nan"), float("inf"),
                        Decimal("1"), "100", "１００", None, 2**63, 2**64, -(2**63), [1], b"1"]


def _state(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(fund_log)).scalar_one(),
                conn.execute(select(func.count()).select_from(holds)).scalar_one(),
                conn.execute(select(func.count()).select_from(custody_requests)).scalar_one())


@pytest.fixture
def world(engine: Engine) -> tuple[LendingService, str]:
    custody, *_ = services(engine)
    user = open_user(custody, 1, recharge_fen=1_000_000)
    return custody, user


@pytest.fixture(scope="module")
def lite() -> Iterator[Engine]:
    """SQLite alone, for the long lists of values: what is refused is decided before any
    database is touched, so one backend proves it (the tests with ``engine`` run on both).
    One world for the module: each test compares the state before and after its own calls,
    and what succeeds uses serial nos. of its own."""
    with fresh_engine("sqlite", label="command-fields") as eng:
        yield eng


@pytest.fixture(scope="module")
def lite_world(lite: Engine) -> tuple[LendingService, str]:
    custody, *_ = services(lite)
    return custody, open_user(custody, 1, recharge_fen=1_000_000)


def _refused_field(result: Any, field: str) -> None:
    assert not result.ok
    assert result.code == "field_invalid", result
    assert result.data["field"] == field, result


@pytest.mark.parametrize("amount", NOT_MONEY, ids=repr)
def test_withdraw_refuses_every_amount_that_is_not_positive_fen(
        lite: Engine, lite_world: tuple[LendingService, str], amount: Any) -> None:
    custody, user = lite_world
    before = _state(lite)
    result = custody.withdraw(PLATFORM, "w-bad", user, icbc_card(1), amount, password=PASSWORD)
    _refused_field(result, "amount_fen")
    assert _state(lite) == before
    # nothing was recorded: the serial no. serves a corrected request
    assert custody.withdraw(PLATFORM, "w-bad", user, icbc_card(1), 10_000,
                            password=PASSWORD).ok


@pytest.mark.parametrize("amount", [True, 0, -5, 1.0, None, 2**64], ids=repr)
def test_bid_refuses_a_bool_or_any_amount_that_is_not_positive_fen(
        lite: Engine, lite_world: tuple[LendingService, str], amount: Any) -> None:
    custody, user = lite_world
    borrower = open_user(custody, 2, role="borrower")
    assert custody.register_project(
        PLATFORM, "p-1", project_id="P1", borrower_user_id=borrower, amount_fen=1_000_000,
        annual_rate="0.08", months=3, method=Method.EQUAL_INSTALLMENT, bid_min_fen=100,
        bid_max_fen=1_000_000, bid_step_fen=100).ok
    before = _state(lite)
    _refused_field(custody.bid(PLATFORM, "b-1", user, "P1", amount, password=PASSWORD),
                   "amount_fen")
    results = custody.bids(PLATFORM, [BidRequest("b-2", user, "P1", amount,
                                                 password_checked=True)])
    _refused_field(results[0], "amount_fen")
    assert _state(lite) == before


_PROJECT: dict[str, Any] = dict(project_id="P9", borrower_user_id="u0001", amount_fen=1_000_000,
                                annual_rate="0.08", months=3, method=Method.BULLET,
                                bid_min_fen=100, bid_max_fen=1_000_000, bid_step_fen=100)


@pytest.mark.parametrize(("field", "value"), [
    ("amount_fen", 1.5), ("amount_fen", 100.0), ("amount_fen", True), ("bid_min_fen", 0),
    ("bid_step_fen", float("nan")), ("months", True), ("months", 0), ("months", 2**64),
    ("annual_rate", 0.08), ("annual_rate", "NaN"), ("annual_rate", "1e999999999"),
    ("annual_rate", "-0.1"), ("annual_rate", "０.08"), ("method", "monthly"),
    ("newbie_only", 1), ("risk_level", 9), ("project_id", "P\x00"), ("project_id", ""),
    ("guarantor_user_id", 7)], ids=repr)
def test_register_project_refuses_malformed_terms(
        lite: Engine, lite_world: tuple[LendingService, str], field: str, value: Any) -> None:
    custody, _ = lite_world
    before = _state(lite)
    result = custody.register_project(PLATFORM, "p-bad", **{**_PROJECT, field: value})
    _refused_field(result, field)
    assert _state(lite) == before


@pytest.mark.parametrize(("field", "value"), [
    ("max_amount_fen", True), ("max_amount_fen", 1.5), ("max_amount_fen", 100.0),
    ("max_amount_fen", 0), ("kinds", ("bid", "steal")), ("kinds", ()), ("kinds", "bid"),
    ("expires_at", "2027-01-01"), ("expires_at", datetime(2027, 1, 1)),
    ("password", 246810), ("password", None)], ids=repr)
def test_authorize_refuses_malformed_fields_with_their_name(
        lite: Engine, lite_world: tuple[LendingService, str], field: str, value: Any) -> None:
    custody, user = lite_world
    fields: dict[str, Any] = dict(kinds=("bid",), max_amount_fen=100_000,
                                  expires_at=datetime(2027, 1, 1, tzinfo=CST),
                                  password=PASSWORD)
    before = _state(lite)
    result = custody.authorize(PLATFORM, "a-bad", user, **{**fields, field: value})
    _refused_field(result, field)
    assert _state(lite) == before


@pytest.mark.parametrize("request_no", ["", "x" * 65, "r\x00", "r 1", "请求1", 7, None, b"r"],
                         ids=repr)
def test_a_malformed_serial_no_is_refused_before_anything_is_read(
        engine: Engine, world: tuple[LendingService, str], request_no: Any) -> None:
    custody, user = world
    before = _state(engine)
    for call in _commands_of_one_user(custody, user):
        result = call(request_no)
        assert (result.ok, result.code) == (False, "field_invalid"), result
    assert _state(engine) == before


def _commands_of_one_user(custody: LendingService, user: str
                          ) -> list[Callable[[Any], Any]]:
    card = icbc_card(1)
    return [
        lambda no: custody.withdraw(PLATFORM, no, user, card, 100, password=PASSWORD),
        lambda no: custody.recharge(PLATFORM, no, user, card, 100, password=PASSWORD),
        lambda no: custody.red_packet(PLATFORM, no, user, 100),
        lambda no: custody.red_packets(PLATFORM, [(no, user, 100)])[0],
        lambda no: custody.withdraws(PLATFORM, [CardRequest(no, user, card, 100, True)])[0],
        lambda no: custody.offline_transfer(PLATFORM, no, card, 100),
        lambda no: custody.revoke_authorization(PLATFORM, no, user, "bid"),
    ]


@pytest.mark.parametrize("user_id", ["u\x00", "", "u" * 65, "用户", 1, None, True], ids=repr)
def test_text_fields_refuse_nul_and_non_text_before_the_database(
        lite: Engine, lite_world: tuple[LendingService, str], user_id: Any) -> None:
    custody, _ = lite_world
    before = _state(lite)
    _refused_field(custody.red_packet(PLATFORM, "rp-bad", user_id, 100), "user_id")
    _refused_field(custody.red_packets(PLATFORM, [("rp-bad2", user_id, 100)])[0], "user_id")
    assert _state(lite) == before


def test_one_bad_request_in_a_set_based_call_leaves_the_others_to_run(
        engine: Engine, world: tuple[LendingService, str]) -> None:
    custody, user = world
    card = icbc_card(1)
    results = custody.withdraws(PLATFORM, [
        CardRequest("w-1", user, card, 10_000, True), CardRequest("w-2", user, card, -1, True),
        CardRequest("w-3", user, card, True, True), CardRequest("w-4", user, card, 20_000, True)])
    assert [r.code for r in results] == ["ok", "field_invalid", "field_invalid", "ok"]
    # the refused ones were not recorded: their serial nos. are free
    assert custody.withdraws(PLATFORM, [CardRequest("w-2", user, card, 500, True)])[0].ok


def test_card_numbers_are_compared_in_their_normalized_form(
        world: tuple[LendingService, str]) -> None:
    """A card typed in groups of four is the bound card, not another one."""
    custody, user = world
    card = icbc_card(1)
    spaced = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
    assert custody.withdraw(PLATFORM, "w-spaced", user, spaced, 1_000, password=PASSWORD).ok
    _refused_field(custody.withdraw(PLATFORM, "w-wide", user, card.translate(
        str.maketrans("0123456789", "０１２３４５６７８９")), 1_000, password=PASSWORD),
        "card_no")


def test_a_password_of_unicode_digits_is_not_a_password() -> None:
    from cunguan.custody.rules.passwords import PasswordError, hash_password
    with pytest.raises(PasswordError):
        hash_password("２４６８１０")
    with pytest.raises(PasswordError):
        hash_password("٢٤٦٨١٠")


def test_an_authorization_expiring_far_in_the_future_is_refused(
        engine: Engine, world: tuple[LendingService, str]) -> None:
    custody, user = world
    result = custody.authorize(PLATFORM, "a-far", user, ("bid",), 100,
                               datetime(2026, 1, 1, tzinfo=CST) + timedelta(days=400_00),
                               PASSWORD)
    _refused_field(result, "expires_at")


_SET_BASED = ["recharges", "withdraws", "channel_results", "red_packets", "bids",
              "register_projects", "lends", "repays", "settle_repayments"]


@pytest.mark.parametrize("method", _SET_BASED)
@pytest.mark.parametrize("tenant_id", ["", " ", "P2P\x00", "１２３", 0, True, None, 2**64,
                                       float("nan"), Decimal("1"), ["P2P"], "\ud800"], ids=repr)
def test_a_set_based_call_for_a_malformed_tenant_records_nothing(
        lite: Engine, lite_world: tuple[LendingService, str], method: str,
        tenant_id: Any) -> None:
    """It was refused but recorded under that tenant, or raised Overflow-, Integrity- or
    ProgrammingError from the database."""
    custody, user = lite_world
    request = (("rp-t", user, 100) if method == "red_packets" else
               CardRequest("rq-t", user, icbc_card(1), 100, True))
    before = _state(lite)
    answers = getattr(custody, method)(tenant_id, [request])
    assert [(a.ok, a.code, a.data.get("field")) for a in answers] == [
        (False, "field_invalid", "tenant_id")]
    assert _state(lite) == before


@pytest.mark.parametrize("method", _SET_BASED)
@pytest.mark.parametrize("requests", [0, None, "r1", b"r", 1.5, [5], [None], [{}], ["r1"]],
                         ids=repr)
def test_a_set_based_call_that_is_not_a_list_of_requests_is_refused_by_name(
        lite: Engine, lite_world: tuple[LendingService, str], method: str,
        requests: Any) -> None:
    custody, _ = lite_world
    before = _state(lite)
    answers = getattr(custody, method)(PLATFORM, requests)
    assert answers and all((a.ok, a.code, a.data.get("field")) == (
        False, "field_invalid", "requests") for a in answers)
    assert _state(lite) == before
    assert getattr(custody, method)(PLATFORM, []) == []


@pytest.mark.parametrize("request_no", ["a#b", "a@b", "a/b", "1,000.00", "r 1"], ids=repr)
def test_a_platform_cannot_take_a_serial_no_of_the_form_the_bank_derives(
        lite: Engine, lite_world: tuple[LendingService, str], request_no: str) -> None:
    """The bank derives nos. with # and @ (a fee's R1#fee, a batch item's B1#3@2): a request
    under such a no. could stand where the bank's own was to go."""
    custody, user = lite_world
    _refused_field(custody.red_packet(PLATFORM, request_no, user, 100), "request_no")
    _refused_field(custody.withdraw(PLATFORM, request_no, user, icbc_card(1), 100,
                                    password=PASSWORD), "request_no")


@pytest.mark.parametrize("password", [" ", "１２３４５６", "٢٤٦٨١٠", "24681", "2468100", 246810,
                                      "24681\x00"], ids=repr)
def test_a_malformed_password_never_counts_as_a_wrong_attempt(
        lite: Engine, lite_world: tuple[LendingService, str], password: Any) -> None:
    """It used to answer password_wrong and count towards the lock-out: five such calls by a
    careless platform locked the user."""
    custody, user = lite_world
    before = _state(lite), _attempts(lite)
    for n in range(6):
        _refused_field(custody.withdraw(PLATFORM, f"w-pw{n}", user, icbc_card(1), 100,
                                        password=password), "password")
    assert (_state(lite), _attempts(lite)) == before
    assert custody.withdraw(PLATFORM, "w-pw-ok", user, icbc_card(1), 100,
                            password=PASSWORD).ok   # not locked


def _attempts(engine: Engine) -> list[tuple[str, int]]:
    from cunguan.custody.store.tables import custody_users
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(
            custody_users.c.user_id, custody_users.c.failed_attempts))]


@pytest.mark.parametrize("payer", ["0", "100", "-1", " 100 ", "1" * 33], ids=repr)
def test_an_offline_transfer_names_a_real_account_no(
        lite: Engine, lite_world: tuple[LendingService, str], payer: str) -> None:
    """'0' and '100' were taken as payers and the money parked as unallocated."""
    custody, _ = lite_world
    before = _state(lite)
    _refused_field(custody.offline_transfer(PLATFORM, "off-1", payer, 100), "payer_card_no")
    assert _state(lite) == before


@pytest.mark.parametrize("now", [None, "2026-11-23", datetime(2026, 11, 23, 12),
                                 datetime(1, 1, 2, tzinfo=CST)], ids=repr)
def test_the_batch_worker_refuses_a_time_without_its_zone_by_name(
        lite_world: tuple[LendingService, str], now: Any) -> None:
    from cunguan.core.fields import FieldInvalid
    from cunguan.custody.handlers.batches import BatchService
    custody, _ = lite_world
    with pytest.raises(FieldInvalid):
        BatchService(custody).run_due(now)
