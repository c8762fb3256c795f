"""Hostile values through the command line's money commands (issue 18).

Each money command (``cunguan custody fund-platform / recharge / withdraw / bid /
register-project``, ``cunguan ledger transfer / freeze``) is run with one option replaced by a
value it must refuse — a negative, zero, NaN or over-large amount, Unicode digits, a NUL, an
empty or malformed id — against a real SQLite file holding a funded platform, users with
cards, money and standing authorizations, and a project raising. Each run must exit 1 (refused
by a rule) or 2 (bad input), never 0, with no traceback (an exception escaping the command),
and leave every table as it was, save the refusal's own record under its fresh request no.
"""

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import typer.main
import typer.testing
from sqlalchemy import Engine
from typer.testing import CliRunner

from cunguan.custody import cards
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.schedules import Method
from cunguan.db import check as db_check
from cunguan.db.connection import make_engine, upgrade
from cunguan.platform.cli.main import app
from tests.custody_helpers import PASSWORD, PLATFORM, icbc_card, open_user, services
from tests.hostile import Watch, arabic_indic, full_width, watched_tables

runner = CliRunner()
L1, L2, BORROWER = "u0001", "u0002", "u0010"
CARD1 = icbc_card(1)
#: Amounts the CLI must refuse (it accepts "1,000.00", "100" and "0.5" as yuan).
HOSTILE_AMOUNTS = [
    "-1.00", "-1", "0", "0.00", "-0", "-0.01", "NaN", "nan", "inf", "-inf", "Infinity", "1e3",
    "1E3", "1e-2", "１２３", full_width("100.00"), "٣", arabic_indic("100"), "³", "1.001",
    "", " ", "\x00", "1\x00", "1_000", "0x10", "+100", "1,00", "1,0000.00", ",100", "100.",
    ".5", "1 000", "--1", "99999999999999999999", "100000000000.01", "1.5e2", "¥100", "100元",
]
#: Ids and request nos. the CLI must refuse: empty, NUL, control characters, white space,
#: non-ASCII look-alikes, too long.
HOSTILE_IDS = ["", " ", "\x00", "u0001\x00", "u0001 ", "ｕ0001", "a b", "x" * 100, "\x07",
               "line\nbreak", "\ud800"]


@dataclass
class Cli:
    url: str
    engine: Engine
    tables: list[str]
    serial: Iterator[int]
    watch: Watch

    def fresh(self) -> str:
        return f"cli-hx-{next(self.serial):05d}"


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """A funded platform, two lenders and a borrower with money and standing authorizations,
    and a project raising, in a SQLite file the CLI is pointed at."""
    path: Path = tmp_path_factory.mktemp("cli-hostile") / "cunguan.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    custody, _, _, clock = services(engine)
    for seq, role in ((1, "lender"), (2, "lender"), (10, "borrower")):
        open_user(custody, seq, role=role, recharge_fen=1_000_000)
    for user in (L1, L2, BORROWER):
        assert custody.authorize(PLATFORM, f"auth-{user}", user,
                                 ("recharge", "bid", "repay", "withdraw"), 100_000_000,
                                 clock() + timedelta(days=365), PASSWORD).ok
    assert custody.register_project(
        PLATFORM, "reg-PRAISE", project_id="PRAISE", borrower_user_id=BORROWER,
        amount_fen=1_000_000, annual_rate="0.12", months=3, method=Method.EQUAL_INSTALLMENT,
        bid_min_fen=10_000, bid_max_fen=1_000_000, bid_step_fen=10_000,
        raise_days=366).ok   # the CLI runs on the system clock
    tables = watched_tables(engine)
    watch = Watch(engine, tables)
    head = db_check.head_revision(engine)
    with pytest.MonkeyPatch.context() as patch:
        # Each run would build the click command tree (~55 ms), read alembic's scripts for the
        # head revision (~50 ms) and the shipped BIN files (~50 ms) again: ~470 runs here. What
        # is under test (options, services, the store) is built per run as before.
        patch.setattr(cards.BinTable, "shipped", functools.cache(cards.BinTable.shipped))
        patch.setattr(db_check, "head_revision", lambda _engine: head)
        patch.setattr(typer.testing, "_get_command", functools.cache(typer.main.get_command))
        yield Cli(url, engine, tables, itertools.count(), watch)
    watch.close()
    engine.dispose()


def _money_commands(no: str) -> dict[str, list[str]]:
    """Each money command's valid options (``AMOUNT`` where the amount goes)."""
    user1, user2 = chart.user_account_no(L1), chart.user_account_no(L2)
    return {
        "fund-platform": ["custody", "fund-platform", "-p", PLATFORM, "-r", no, "--account",
                          chart.OWN, "--amount", "AMOUNT"],
        "recharge": ["custody", "recharge", "-p", PLATFORM, "-r", no, "--user", L1, "--card",
                     CARD1, "--amount", "AMOUNT"],
        "withdraw": ["custody", "withdraw", "-p", PLATFORM, "-r", no, "--user", L1, "--card",
                     CARD1, "--amount", "AMOUNT"],
        "bid": ["custody", "bid", "-p", PLATFORM, "-r", no, "--user", L1, "--project",
                "PRAISE", "--amount", "AMOUNT"],
        "register-project": ["custody", "register-project", "-p", PLATFORM, "-r", no,
                             "--project", f"P-{no}", "--borrower", BORROWER, "--amount",
                             "AMOUNT", "--rate", "0.12", "--months", "3", "--method",
                             "equal_installment", "--bid-max", "10,000.00"],
        "ledger-transfer": ["ledger", "transfer", "-t", PLATFORM, "-r", no, "--debit", user2,
                            "--credit", user1, "--amount", "AMOUNT"],
        "ledger-freeze": ["ledger", "freeze", "-t", PLATFORM, "-r", no, "-a", user1,
                          "--amount", "AMOUNT", "--reason", "hold"],
    }


def _run(cli: Cli, args: list[str], no: str) -> str | None:
    """Run the CLI: what went wrong (exit 0, a traceback, something posted), or None."""
    cli.watch.before()
    result = runner.invoke(app, ["--database-url", cli.url, *args])
    posted = cli.watch.changes(PLATFORM, no)
    problems = []
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        problems.append(f"raised {type(result.exception).__name__}: "
                        f"{str(result.exception)[:120]}")
    elif result.exit_code not in (1, 2):
        problems.append(f"exit {result.exit_code}: {result.output.strip()[:120]}")
    if "Traceback" in result.output:
        problems.append("printed a traceback")
    if posted:
        problems.append("posted: " + " | ".join(posted))
    return "; ".join(problems) or None


@pytest.mark.parametrize("command", list(_money_commands("x")))
def test_valid_money_commands_succeed(cli: Cli, command: str) -> None:
    """The options below differ from these in one value only: these succeed (exit 0)."""
    no = cli.fresh()
    args = [("100.00" if a == "AMOUNT" else a) for a in _money_commands(no)[command]]
    if command == "register-project":
        args = [("10,000.00" if a == "100.00" else a) for a in args]
    result = runner.invoke(app, ["--database-url", cli.url, *args])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", list(_money_commands("x")))
def test_hostile_amounts_exit_1_or_2_and_post_nothing(cli: Cli, command: str) -> None:
    failures = []
    for amount in HOSTILE_AMOUNTS:
        no = cli.fresh()
        args = [(amount if a == "AMOUNT" else a) for a in _money_commands(no)[command]]
        problem = _run(cli, args, no)
        if problem:
            failures.append(f"--amount={amount!r} → {problem}")
    assert not failures, f"{command}:\n  " + "\n  ".join(failures)


_ID_OPTIONS = [("withdraw", "--user"), ("withdraw", "--card"), ("withdraw", "-r"),
               ("withdraw", "-p"), ("recharge", "--user"), ("recharge", "--card"),
               ("bid", "--project"), ("fund-platform", "--account"),
               ("register-project", "--project"), ("register-project", "--borrower"),
               ("ledger-transfer", "--debit"), ("ledger-transfer", "-r")]


@pytest.mark.parametrize(("command", "option"), _ID_OPTIONS)
def test_hostile_ids_exit_1_or_2_and_post_nothing(cli: Cli, command: str, option: str) -> None:
    failures = []
    extra = [full_width(CARD1), arabic_indic(CARD1), f"{CARD1}\x00"] if option == "--card" else []
    for value in [*HOSTILE_IDS, *extra]:
        no = cli.fresh()
        args = _money_commands(no)[command]
        args = [("100.00" if a == "AMOUNT" else a) for a in args]
        if command == "register-project":
            args = [("10,000.00" if a == "100.00" else a) for a in args]
        args[args.index(option) + 1] = value
        problem = _run(cli, args, no)
        if problem:
            failures.append(f"{option}={value[:20]!r} → {problem}")
    assert not failures, f"{command} {option}:\n  " + "\n  ".join(failures)


@pytest.mark.parametrize(("option", "values"), [
    ("--rate", ["-0.1", "NaN", "1e-2", full_width("0.12"), "1E+999999999", "", "abc", "0.12 ",
                "9" * 40]),
    ("--service-fee-rate", ["-0.01", "NaN", "inf", "1e-2", full_width("0.01"), "x"]),
    ("--months", ["0", "-1", "99999999999999999999", "１２", "٣", "1.5", "abc", ""]),
    ("--bid-min", ["-1.00", "0", "NaN", "１２３", "1.001"]),
    ("--bid-step", ["-1.00", "0", "NaN", "١٠٠", "1e3"]),
])
def test_register_project_refuses_hostile_terms(cli: Cli, option: str,
                                                values: list[str]) -> None:
    failures = []
    for value in values:
        no = cli.fresh()
        args = [("10,000.00" if a == "AMOUNT" else a)
                for a in _money_commands(no)["register-project"]]
        if option in args:
            args[args.index(option) + 1] = value
        else:
            args += [option, value]
        problem = _run(cli, args, no)
        if problem:
            failures.append(f"{option}={value[:20]!r} → {problem}")
    assert not failures, f"register-project {option}:\n  " + "\n  ".join(failures)
