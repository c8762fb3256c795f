"""``cunguan worker``: batch windows (R-C11), hold expiry (R-L4), callbacks (R-C21) and nonce
pruning, in a process of its own (``cunguan serve`` runs the same pass in-process by default)."""

import time

import typer

from cunguan.core import fields, limits
from cunguan.core.process import tune_garbage_collection
from cunguan.platform.bank import Bank
from cunguan.platform.callback_sender import HttpSender
from cunguan.platform.cli.common import console, engine, optional_instant


def worker(ctx: typer.Context,
           once: bool = typer.Option(False, help="One pass, then exit."),
           interval_s: int = typer.Option(limits.standalone_worker_interval_default_s,
                                          help="Seconds between passes."),
           as_of: str = typer.Option("", help="Process as if at this ISO time with its UTC "
                                              "offset (replays, tests)."),
           ) -> None:
    """Process due batch windows, expired holds and callbacks, until stopped (or once)."""
    fields.whole_number(interval_s, "--interval-s", minimum=0,
                        maximum=limits.standalone_worker_interval_max_s)
    fixed_now = optional_instant(as_of, "--as-of")
    bank = Bank(engine(ctx))
    sender = HttpSender()
    if not once:
        tune_garbage_collection()   # a long-running process: see core/process.py
    try:
        while True:
            now = fixed_now or bank.clock()
            done = bank.worker_pass(sender, now)
            console.print(f"{now.isoformat()} batch items processed: {done.batch_items}, "
                          f"holds expired: {done.holds_expired}, callbacks: {done.callbacks}")
            if once:
                return
            if not done.callbacks_more_due:
                time.sleep(interval_s)
    finally:
        sender.close()
