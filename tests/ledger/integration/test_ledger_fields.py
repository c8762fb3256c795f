"""The ledger's commands and the operator set-up calls refuse hostile input by name (issue 18),
on SQLite and PostgreSQL: a command's malformed field is a ``field_invalid`` reject naming it
(an amount that is not an int ``amount_must_be_positive``) with nothing posted, a set-up call's
a ``FieldInvalid`` error naming it with nothing written — never a driver error, a TypeError or
a lone surrogate's UnicodeEncodeError."""

import math
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from cunguan.core.errors import CunguanError
from cunguan.core.fields import FieldInvalid
from cunguan.custody.store.tables import custody_platforms
from cunguan.ledger.model import (
    AccountFlag,
    AccountSpec,
    AccountStatus,
    Command,
    Freeze,
    Payee,
    Reject,
    Release,
    Reverse,
    Settle,
    Side,
    Transfer,
)
from cunguan.ledger.service import LedgerService
from cunguan.ledger.store.tables import accounts, tenants, transactions
from cunguan.platform.cli.main import app
from tests.custody_helpers import services
from tests.helpers import DAY, SUMMARY, TENANT, balances, ledger_with_tenant

runner = CliRunner()
#: Values no text field of the ledger takes (NUL and lone surrogates included: PostgreSQL's
#: text columns refuse both, and the driver raised before).
NOT_TEXT: list[Any] = [math.nan, math.inf, Decimal("1.5"), Decimal("sNaN"), b"R1", bytearray(b"1"),
                       date(2026, 11, 23), datetime(2026, 11, 23, tzinfo=UTC), [1], {"a": 1},
                       (), None, 5, True, "\ud800", "a\x00b", "\x07", "line\nbreak"]
NOT_SERIAL_NOS: list[Any] = [" ", "u0001 ", "ｕ0001", "a b", "", "x" * 65, *NOT_TEXT]
NOT_IDS: list[Any] = [True, 0, -1, 2**63, 1.0, "1", Decimal(1), math.nan, None, "\ud800", [1]]


def _funded(engine: Engine) -> LedgerService:
    ledger = ledger_with_tenant(engine)
    assert ledger.execute(TENANT, [Transfer("fund", SUMMARY, "U1", 100_000, "recharge")])[0].ok
    return ledger


def _refused(ledger: LedgerService, command: Command, reject: Reject, field: str) -> None:
    """``command`` is refused naming ``field``; no balance, hold or transaction changes."""
    before = balances(ledger)
    with ledger.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(transactions)).scalar_one()
    result = ledger.execute(TENANT, [command])[0]
    assert (result.reject, result.detail) == (reject, field), result
    assert balances(ledger) == before
    with ledger.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(transactions)).scalar_one() == count


@pytest.mark.parametrize("request_no", NOT_SERIAL_NOS)
def test_request_nos_that_are_not_serial_nos_are_refused_for_every_command(
        engine: Engine, request_no: Any) -> None:
    """Before: ' ' and 'ｕ0001' posted, nan raised 'malformed JSON', Decimal 'not JSON
    serializable', a list 'unhashable', a surrogate UnicodeEncodeError."""
    ledger = _funded(engine)
    hold = ledger.execute(TENANT, [Freeze("h1", "U1", 1_000, "bid")])[0].tx_id
    moved = ledger.execute(TENANT, [Transfer("t1", "U1", "U2", 100)])[0].tx_id
    assert hold and moved
    for command in (Transfer(request_no, "U1", "U2", 100), Freeze(request_no, "U1", 100, "bid"),
                    Settle(request_no, hold, (Payee("U2", 100),)),
                    Release(request_no, hold), Reverse(request_no, moved)):
        _refused(ledger, command, Reject.FIELD_INVALID, "request_no")


@pytest.mark.parametrize("account_no", [*NOT_TEXT[:-3], "U1\x00", "x" * 33])
def test_account_nos_that_are_not_text_are_refused_by_name(engine: Engine,
                                                           account_no: Any) -> None:
    """Before: a TypeError ('<' not supported) sorting the batch's account nos."""
    ledger = _funded(engine)
    hold = ledger.execute(TENANT, [Freeze("h1", "U1", 1_000, "bid")])[0].tx_id
    assert hold
    _refused(ledger, Transfer("r1", account_no, "U2", 100), Reject.FIELD_INVALID,
             "debit_account_no")
    _refused(ledger, Transfer("r2", "U1", account_no, 100), Reject.FIELD_INVALID,
             "credit_account_no")
    _refused(ledger, Freeze("r3", account_no, 100, "bid"), Reject.FIELD_INVALID, "account_no")
    _refused(ledger, Settle("r4", hold, (Payee(account_no, 100),)), Reject.FIELD_INVALID,
             "payees[0].account_no")


@pytest.mark.parametrize(("field", "values"), [
    ("business_type", [" ", "１２３", "a b", "x" * 33, "😀", *NOT_TEXT]),
    ("memo", ["x" * 257, "\u202e", *NOT_TEXT[:-3], "a\x00b", "\x07", "line\nbreak"]),
    ("funding", [0, 1, "true", None, math.nan, Decimal(1), [1]]),
])
def test_transfer_fields_are_refused_by_name(engine: Engine, field: str,
                                             values: list[Any]) -> None:
    """Before: each was posted, or raised OverflowError, IntegrityError or ProgrammingError."""
    ledger = _funded(engine)
    for n, value in enumerate(values):
        args: dict[str, Any] = {"business_type": "transfer", "memo": "", "funding": False,
                                field: value}
        _refused(ledger, Transfer(f"t{n}", "U1", "U2", 100, **args), Reject.FIELD_INVALID, field)


def test_freeze_reason_and_expiry_are_refused_by_name(engine: Engine) -> None:
    ledger = _funded(engine)
    for n, reason in enumerate(["x" * 129, 0, None, "\ud800", "a\x00b"]):
        _refused(ledger, Freeze(f"f{n}", "U1", 100, reason), Reject.FIELD_INVALID, "reason")
    for n, expires_at in enumerate([datetime(2026, 11, 24), date(2026, 11, 24), 1_800_000_000,
                                    "2026-11-24T00:00:00Z", datetime(9999, 12, 31, tzinfo=UTC),
                                    datetime(1, 1, 1, tzinfo=UTC), True]):
        _refused(ledger, Freeze(f"e{n}", "U1", 100, "bid", expires_at), Reject.FIELD_INVALID,
                 "expires_at")


def test_a_chinese_memo_and_reason_are_posted(engine: Engine) -> None:
    """Text for people: Chinese and full-width digits are legitimate."""
    ledger = _funded(engine)
    assert ledger.execute(TENANT, [Transfer("c1", "U1", "U2", 100, "transfer",
                                            "还款 P001 第１２３期")])[0].ok
    hold = ledger.execute(TENANT, [Freeze("c2", "U1", 100, "投标冻结")])[0]
    assert hold.ok and hold.tx_id and ledger.hold(TENANT, hold.tx_id).reason == "投标冻结"


@pytest.mark.parametrize("value", NOT_IDS)
def test_hold_and_transaction_ids_must_be_ints_in_range(engine: Engine, value: Any) -> None:
    """Before: True settled hold 1, 2**63 overflowed the driver, a float raised 'malformed
    JSON', a list 'unhashable'."""
    ledger = _funded(engine)
    _refused(ledger, Settle("s1", value, (Payee("U2", 100),)), Reject.FIELD_INVALID, "hold_id")
    _refused(ledger, Release("s2", value), Reject.FIELD_INVALID, "hold_id")
    _refused(ledger, Reverse("s3", value), Reject.FIELD_INVALID, "original_tx_id")


def test_a_malformed_command_is_refused_alone_and_fails_its_linked_batch(
        engine: Engine) -> None:
    """The store loads by the well-formed commands only: the others do not reach it."""
    ledger = _funded(engine)
    good, bad = Transfer("g1", "U1", "U2", 100), Transfer([1], 5, None, 100)
    results = ledger.execute(TENANT, [good, bad])
    assert results[0].ok and results[1].reject is Reject.FIELD_INVALID
    linked = ledger.execute(TENANT, [Transfer("g2", "U1", "U2", 100), bad], linked=True)
    assert [r.reject for r in linked] == [Reject.LINKED_COMMAND_FAILED, Reject.FIELD_INVALID]
    assert balances(ledger)["U2"] == (100, 0)


@pytest.mark.parametrize("tenant_id", [" ", "P1\x00", "\ud800", 5, None, [1], "x" * 33])
def test_a_command_for_a_malformed_tenant_id_is_refused_by_name(engine: Engine,
                                                                tenant_id: Any) -> None:
    ledger = _funded(engine)
    with pytest.raises(CunguanError) as caught:
        ledger.execute(tenant_id, [Transfer("x1", "U1", "U2", 100)])
    assert caught.value.code in ("field_invalid", "tenant_not_found")
    if caught.value.code == "field_invalid":
        assert caught.value.details["field"] == "tenant_id"


# -- set-up calls --------------------------------------------------------------------------------
def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.mark.parametrize(("tenant_id", "name", "day", "field"), [
    (" ", "P", DAY, "tenant_id"), ("\x00", "P", DAY, "tenant_id"), ("\x07", "P", DAY, "tenant_id"),
    ("１２３", "P", DAY, "tenant_id"), ("a b", "P", DAY, "tenant_id"), (1, "P", DAY, "tenant_id"),
    ("\ud800", "P", DAY, "tenant_id"), ([1], "P", DAY, "tenant_id"),
    ({"a": 1}, "P", DAY, "tenant_id"), ("x" * 33, "P", DAY, "tenant_id"),
    ("P9", 0, DAY, "name"), ("P9", "\x00", DAY, "name"), ("P9", "", DAY, "name"),
    ("P9", "P", None, "accounting_date"), ("P9", "P", 5, "accounting_date"),
    ("P9", "P", "2026-11-23", "accounting_date"),
    ("P9", "P", datetime(2026, 11, 23, tzinfo=UTC), "accounting_date"),
])
def test_onboarding_and_create_tenant_refuse_malformed_fields_by_name(
        engine: Engine, tenant_id: Any, name: Any, day: Any, field: str) -> None:
    """Before: 19 strings (' ', NUL, '１２３' …) were tenant ids, name=0 a name, a datetime an
    accounting date; others raised TypeError, StatementError or IntegrityError."""
    custody, ledger, _, _ = services(engine)
    platforms = _count(engine, tenants), _count(engine, custody_platforms)
    for call in (custody.onboard_platform, ledger.create_tenant):
        with pytest.raises(FieldInvalid) as caught:
            call(tenant_id, name, day)
        assert caught.value.details["field"] == field
    assert (_count(engine, tenants), _count(engine, custody_platforms)) == platforms


def test_a_platform_name_is_stored_as_text_normalizes_it(engine: Engine) -> None:
    custody, ledger, _, _ = services(engine)
    custody.onboard_platform("P9", "  Ninth lending platform\n", DAY)
    with engine.connect() as conn:
        names = {conn.execute(select(tenants.c.name).where(tenants.c.tenant_id == "P9"))
                 .scalar_one(), conn.execute(select(custody_platforms.c.name).where(
                     custody_platforms.c.tenant_id == "P9")).scalar_one()}
    assert names == {"Ninth lending platform"}
    assert ledger.accounting_date("P9") == DAY


@pytest.mark.parametrize(("field", "value"), [
    ("account_no", " "), ("account_no", "\x00"), ("account_no", "１２３"), ("account_no", 5),
    ("account_no", "\ud800"), ("account_no", bytearray(b"1")), ("owner", 0), ("owner", "\x07"),
    ("owner", None), ("role", [1]), ("role", "a b"), ("subject_code", Decimal("1002")),
    ("subject_code", "x" * 17), ("normal_side", 1), ("normal_side", "debit"),
    ("normal_side", None), ("flags", -1), ("flags", True), ("flags", 2**63 - 1),
    ("flags", 16), ("flags", 1.5), ("flags", "1"), ("flags", AccountFlag.HOT | 32),
    ("overdraft_limit_fen", True), ("overdraft_limit_fen", False),
    ("overdraft_limit_fen", -0.0), ("overdraft_limit_fen", 1.5), ("overdraft_limit_fen", -1),
])
def test_open_accounts_refuses_malformed_specs_by_name(engine: Engine, field: str,
                                                       value: Any) -> None:
    """Before: 23 hostile account nos., any owner, role and subject code and flags of -1 or
    True were opened; normal_side raised AttributeError, flags ValueError or OverflowError."""
    ledger = ledger_with_tenant(engine)
    opened = _count(engine, accounts)
    spec = {"account_no": "N1", "owner": "u9", "role": "lender", "subject_code": "2011",
            "normal_side": Side.CREDIT, "flags": AccountFlag.NONE, "overdraft_limit_fen": 0,
            field: value}
    with pytest.raises(FieldInvalid) as caught:
        ledger.open_accounts(TENANT, [AccountSpec(**spec)])
    assert caught.value.details["field"] == field
    assert _count(engine, accounts) == opened


def test_flags_of_a_million_digits_are_refused_at_once(engine: Engine) -> None:
    """Before: int(Decimal('1E+999999')) spent 44 s of CPU, then raised OverflowError."""
    ledger = ledger_with_tenant(engine)
    started = time.process_time()
    with pytest.raises(FieldInvalid) as caught:
        ledger.open_accounts(TENANT, [AccountSpec("N1", "u9", "lender", "2011", Side.CREDIT,
                                                  Decimal("1E+999999"))])
    assert caught.value.details["field"] == "flags"
    assert time.process_time() - started < 1.0


def test_sides_statuses_and_flags_given_as_their_values_are_taken(engine: Engine) -> None:
    ledger = ledger_with_tenant(engine)
    ledger.open_accounts(TENANT, [AccountSpec("N1", "u9", "lender", "2011", "C", 5)])
    account = ledger.account(TENANT, "N1")
    assert account.normal_side is Side.CREDIT and account.flags == AccountFlag(5)
    frozen = ledger.set_account_status(TENANT, "N1", "frozen")
    assert frozen.status is AccountStatus.FROZEN


@pytest.mark.parametrize(("field", "value"), [
    ("status", 0), ("status", None), ("status", "FROZEN"), ("status", " frozen"),
    ("status", "\ud800"), ("status", [1]), ("account_no", "\ud800"), ("account_no", 5),
    ("account_no", "U1\x00"), ("tenant_id", [1]), ("tenant_id", "\ud800"),
])
def test_set_account_status_refuses_malformed_fields_by_name(engine: Engine, field: str,
                                                             value: Any) -> None:
    """Before: every hostile status raised AttributeError; the others driver errors."""
    ledger = ledger_with_tenant(engine)
    args: dict[str, Any] = {"tenant_id": TENANT, "account_no": "U1",
                            "status": AccountStatus.FROZEN, field: value}
    with pytest.raises(FieldInvalid) as caught:
        ledger.set_account_status(**args)
    assert caught.value.details["field"] == field
    assert ledger.account(TENANT, "U1").status is AccountStatus.NORMAL


def test_queries_refuse_malformed_names_by_name(engine: Engine) -> None:
    ledger = ledger_with_tenant(engine)
    for call, field in ((lambda: ledger.account(TENANT, "\ud800"), "account_no"),
                        (lambda: ledger.fund_log(TENANT, 5), "account_no"),
                        (lambda: ledger.fund_log(TENANT, "U1", after_seq=1.5), "after_seq"),
                        (lambda: ledger.hold(TENANT, 2**63), "hold_id"),
                        (lambda: ledger.balance_at(TENANT, "U1", None), "day"),
                        (lambda: ledger.accounting_date("\x00"), "tenant_id")):
        with pytest.raises(FieldInvalid) as caught:
            call()
        assert caught.value.details["field"] == field


# -- the command line ----------------------------------------------------------------------------
@pytest.mark.parametrize(("option", "value"), [
    ("-r", " "), ("-r", "u0001 "), ("-r", "ｕ0001"), ("-r", "a b"), ("-r", "\ud800"),
    ("--debit", "\ud800"), ("--debit", "U1\x00"), ("--business-type", "a b"),
    ("--memo", "a\x00b"),
])
def test_cli_transfer_refuses_malformed_fields_with_exit_2(engine: Engine, option: str,
                                                           value: str) -> None:
    """Before: the request nos. exited 0 and posted; --debit '\\ud800' let a
    UnicodeEncodeError escape."""
    ledger = _funded(engine)
    before = balances(ledger)
    args = ["--database-url", engine.url.render_as_string(hide_password=False), "ledger",
            "transfer", "-t", TENANT, "-r", "cli-1", "--debit", "U1", "--credit", "U2",
            "--amount", "1.00"]
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "field_invalid" in result.stderr
    assert balances(ledger) == before
