"""``cunguan worker``: runs due batch windows (R-C11) and sweeps expired holds (R-L4)."""

import time
from datetime import datetime

import typer

from cunguan.adapters.store.db import make_engine
from cunguan.cli.common import console
from cunguan.core.clock import system_clock
from cunguan.service_layer.batch_service import BatchService
from cunguan.service_layer.ledger_service import LedgerService
from cunguan.service_layer.lending_service import LendingService

WORKER_INTERVAL_S_DEFAULT = 30


def worker(ctx: typer.Context,
           once: bool = typer.Option(False, help="One pass, then exit."),
           interval_s: int = typer.Option(WORKER_INTERVAL_S_DEFAULT,
                                          help="Seconds between passes."),
           as_of: str = typer.Option("", help="Process as if at this ISO time (replays, tests)."),
           ) -> None:
    """Process due batch windows and expired holds, until stopped (or once)."""
    engine = make_engine((ctx.find_root().obj or {}).get("database_url"))
    ledger = LedgerService(engine)
    batches = BatchService(LendingService(engine, ledger))
    while True:
        now = datetime.fromisoformat(as_of) if as_of else system_clock()
        items = batches.run_due(now)
        expired = sum(len(ledger.expire_holds(tenant)) for tenant in ledger.tenants())
        console.print(f"{now.isoformat()} batch items processed: {items}, holds expired: "
                      f"{expired}")
        if once:
            return
        time.sleep(interval_s)
