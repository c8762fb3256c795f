"""The ledger and day-close services of the ``ledger`` and ``day`` commands, made once per
command on its checked engine (kept apart from the CLI kit in ``common`` so that a context's CLI
using the kit does not import the platform's day close, and through it custody)."""

from dataclasses import dataclass

import typer

from cunguan.ledger.service import LedgerService
from cunguan.platform.cli.common import engine, root_obj
from cunguan.platform.day_service import DayService


@dataclass
class Services:
    ledger: LedgerService
    day: DayService


def services(ctx: typer.Context) -> Services:
    obj = root_obj(ctx)
    if "services" not in obj:
        checked = engine(ctx)
        obj["services"] = Services(LedgerService(checked), DayService(checked))
    found: Services = obj["services"]
    return found
