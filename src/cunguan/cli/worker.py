"""``cunguan worker``: batch windows (R-C11), hold expiry (R-L4), callbacks (R-C21) and nonce
pruning, in a process of its own (``cunguan serve`` runs the same pass in-process by default)."""

import time
from datetime import datetime

import typer

from cunguan.adapters.callback_sender import HttpSender
from cunguan.adapters.store.db import make_engine
from cunguan.cli.common import console
from cunguan.core.process import tune_garbage_collection
from cunguan.service_layer.bank import Bank

WORKER_INTERVAL_S_DEFAULT = 30


def worker(ctx: typer.Context,
           once: bool = typer.Option(False, help="One pass, then exit."),
           interval_s: float = typer.Option(WORKER_INTERVAL_S_DEFAULT,
                                            help="Seconds between passes."),
           as_of: str = typer.Option("", help="Process as if at this ISO time (replays, tests)."),
           ) -> None:
    """Process due batch windows, expired holds and callbacks, until stopped (or once)."""
    bank = Bank(make_engine((ctx.find_root().obj or {}).get("database_url")))
    sender = HttpSender()
    if not once:
        tune_garbage_collection()   # a long-running process: see core/process.py
    try:
        while True:
            now = datetime.fromisoformat(as_of) if as_of else bank.clock()
            done = bank.worker_pass(sender, now)
            console.print(f"{now.isoformat()} batch items processed: {done.batch_items}, "
                          f"holds expired: {done.holds_expired}, callbacks: {done.callbacks}")
            if once:
                return
            if not done.callbacks_more_due:
                time.sleep(interval_s)
    finally:
        sender.close()
