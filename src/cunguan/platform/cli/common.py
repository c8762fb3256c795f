"""What every CLI command shares: the database it works on, its services, how input is read
(amounts, dates, passwords), and the one mapping from outcomes to exit codes.

Exit codes: 0 done, 1 refused by a business rule, 2 bad input, 3 environment (the database is
unreachable, missing or not migrated). Every command runs inside ``CunguanGroup.invoke``, so a
named error anywhere becomes one line on stderr and its exit code — never a traceback.
"""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from cunguan.core import fields
from cunguan.core.errors import CunguanError
from cunguan.core.money import MoneyError, format_yuan, parse_yuan
from cunguan.db.check import ready_engine
from cunguan.db.connection import Engine, database_url
from cunguan.ledger.model import Result
from cunguan.platform.store.driver_errors import named_database_errors

console = Console()
error_console = Console(stderr=True, soft_wrap=True, highlight=False)

EXIT_DONE = 0
EXIT_REJECTED = 1
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3

#: Codes that say the place the command runs in is wrong, not its input.
ENVIRONMENT_CODES = frozenset({"database_unreachable", "database_missing",
                               "schema_out_of_date"})
#: Codes of refused results that are bad input rather than a business rule.
INPUT_CODES = frozenset({"field_invalid", "amount_invalid"})


def error_exit(code: str) -> int:
    """The exit code of a named error raised before anything was done."""
    return EXIT_ENVIRONMENT if code in ENVIRONMENT_CODES else EXIT_BAD_INPUT


def refusal_exit(code: str) -> int:
    """The exit code of a refused result (a reject or a custody refusal): never 0."""
    if code in INPUT_CODES:
        return EXIT_BAD_INPUT
    return EXIT_ENVIRONMENT if code in ENVIRONMENT_CODES else EXIT_REJECTED


def fail(label: str, code: str, message: str, exit_code: int) -> NoReturn:
    """One line on stderr (never wrapped, never read as markup), then the exit code."""
    error_console.print(Text.assemble((label, "red"), f" {code}: {message}"))
    raise typer.Exit(exit_code)


@contextmanager
def edge() -> Iterator[None]:
    """Named errors → one line and their exit code; anything else is a bug (a traceback)."""
    try:
        yield
    except CunguanError as exc:
        fail("error", exc.code, exc.message, error_exit(exc.code))
    except MoneyError as exc:
        fail("error", "field_invalid", str(exc), EXIT_BAD_INPUT)


class CunguanGroup(TyperGroup):
    """The root command group: every command and sub-command runs inside ``edge``; a driver
    error that escapes a command (the server went away mid-way) is named for what it says."""

    def invoke(self, ctx: Any) -> Any:
        with edge(), named_database_errors(lambda: configured_url(ctx)):
            return super().invoke(ctx)


def root_obj(ctx: Any) -> dict[str, Any]:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = {}
    obj: dict[str, Any] = root.obj
    return obj


def remember_database(ctx: typer.Context, url: str | None) -> None:
    """Keep the database URL and whether it was given on the command line (``--database-url``)
    rather than taken from ``CUNGUAN_DATABASE_URL``: the demo uses only an explicit one."""
    source = ctx.get_parameter_source("database_url")
    root_obj(ctx).update(database_url=url, database_url_explicit=getattr(
        source, "name", None) == "COMMANDLINE")


def explicit_database_url(ctx: typer.Context) -> str | None:
    obj = root_obj(ctx)
    return obj.get("database_url") if obj.get("database_url_explicit") else None


def configured_url(ctx: typer.Context) -> str:
    """The database URL the command works on (option, environment, or the default)."""
    return database_url(root_obj(ctx).get("database_url"))


def engine(ctx: typer.Context) -> Engine:
    """The command's engine, on a database checked to be there and migrated (else exit 3)."""
    obj = root_obj(ctx)
    if "engine" not in obj:
        obj["engine"] = ready_engine(obj.get("database_url"))
    found: Engine = obj["engine"]
    return found




def yuan(text: str, field: str = "--amount") -> int:
    """A yuan amount as typed ("1,234.56") in fen; the domain decides whether it is allowed."""
    try:
        return parse_yuan(text)
    except MoneyError as exc:
        raise fields.FieldInvalid(field, str(exc)) from exc


def optional_day(text: str, field: str) -> date | None:
    """A ``YYYY-MM-DD`` option; empty means not given."""
    return fields.iso_day(text, field) if text else None


def optional_instant(text: str, field: str) -> datetime | None:
    """An ISO time option with its UTC offset; empty means not given."""
    return fields.iso_instant(text, field) if text else None


#: Passwords never travel on the command line (``ps`` shows it to every user of the machine):
#: they are asked for with hidden input, or read from standard input by scripts.
ASK_PASSWORD = typer.Option(False, "--ask-password",
                            help="Ask for the transaction password (hidden input); without "
                                 "it a standing authorization must cover the request.")
PASSWORD_STDIN = typer.Option(False, "--password-stdin",
                              help="Read the transaction password from the first line of "
                                   "standard input (for scripts).")


def password(*, ask: bool, stdin: bool, confirm: bool = False) -> str | None:
    """The transaction password from standard input or a hidden prompt; None for neither."""
    if ask and stdin:
        raise fields.FieldInvalid("--password-stdin", "give it or --ask-password, not both")
    if stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise fields.FieldInvalid("--password-stdin", "standard input has no password")
        return line.rstrip("\r\n")
    if ask:
        typed: str = typer.prompt("Transaction password", hide_input=True,
                                  confirmation_prompt=confirm)
        return typed
    return None


def report(result: Result, describe: Callable[[Result], str]) -> None:
    if result.ok:
        marker = " (replayed: nothing posted again)" if result.replayed else ""
        console.print(f"[green]ok[/green] {describe(result)}{marker}")
        return
    code = str(result.reject)
    fail("rejected", code, result.detail or "refused", refusal_exit(code))


def money(amount_fen: int) -> str:
    return format_yuan(amount_fen)
