"""What every CLI command shares: the database option, services, and error → exit code mapping."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import typer
from rich.console import Console

from cunguan.adapters.store.db import make_engine
from cunguan.core.errors import CunguanError
from cunguan.core.money import MoneyError, format_yuan, parse_yuan
from cunguan.ledger.model import Result
from cunguan.service_layer.day_service import DayService
from cunguan.service_layer.ledger_service import LedgerService

console = Console()
error_console = Console(stderr=True)

#: Exit codes: 0 done, 1 refused by a business rule, 2 bad input or set-up.
EXIT_REJECTED = 1
EXIT_BAD_INPUT = 2

T = TypeVar("T")


@dataclass
class Services:
    ledger: LedgerService
    day: DayService


def services(ctx: typer.Context) -> Services:
    obj: dict[str, Any] = ctx.find_root().obj or {}
    if "services" not in obj:
        engine = make_engine(obj.get("database_url"))
        obj["services"] = Services(LedgerService(engine), DayService(engine))
    result: Services = obj["services"]
    return result


@contextmanager
def edge() -> Iterator[None]:
    """Turn named errors into a clear message and exit code; anything else is a bug."""
    try:
        yield
    except CunguanError as exc:
        error_console.print(f"[red]error[/red] {exc.code}: {exc.message}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    except MoneyError as exc:
        error_console.print(f"[red]error[/red] amount_invalid: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc


def yuan(text: str) -> int:
    try:
        return parse_yuan(text)
    except MoneyError as exc:
        raise typer.BadParameter(str(exc)) from exc


def report(result: Result, describe: Callable[[Result], str]) -> None:
    if result.ok:
        marker = " (replayed: nothing posted again)" if result.replayed else ""
        console.print(f"[green]ok[/green] {describe(result)}{marker}")
        return
    detail = f" ({result.detail})" if result.detail else ""
    error_console.print(f"[red]rejected[/red] {result.reject}{detail}")
    raise typer.Exit(EXIT_REJECTED)


def money(amount_fen: int) -> str:
    return format_yuan(amount_fen)
