"""``cunguan reconcile platform-file``: a platform's daily reconciliation file (R-C22) written
to a file, as the API serves it, with its signature beside it (``<out>.sig``)."""

import sys
from pathlib import Path

import typer

from cunguan.core import fields, limits
from cunguan.core.clock import system_clock
from cunguan.platform.access import AccessService
from cunguan.platform.cli.common import console, engine, fail, refusal_exit
from cunguan.reconcile.handlers.platform_files import platform_file
from cunguan.reconcile.rules.refusals import ReconcileError

app = typer.Typer(help="Reconciliation (对账): statements, breaks and platforms' files.",
                  no_args_is_help=True)


@app.command("platform-file")
def platform_file_command(
        ctx: typer.Context,
        platform: str = typer.Option(..., "--platform", "-p", help="Platform (tenant) id."),
        day: str = typer.Option(..., "--date", help="The closed accounting day, YYYY-MM-DD."),
        out: str = typer.Option(..., "--out", help="File to write; - for standard output "
                                                   "(the signature then goes to stderr).")
        ) -> None:
    """Write a platform's reconciliation file of a closed day: every movement of its
    accounts that day with control totals, signed with the platform's key (the signature's
    headers go to ``<out>.sig``). The same day gives the same bytes every time."""
    checked = engine(ctx)
    fields.identifier(platform, "--platform", limits.tenant_id_length_max)
    try:
        made = platform_file(checked, system_clock, platform, day,
                             AccessService(checked).platform_secret(platform))
    except ReconcileError as exc:
        fail("refused", exc.code, exc.message, refusal_exit(exc.code))
    signature = "".join(f"{name}: {value}\n" for name, value in made.headers().items())
    if out == "-":
        sys.stdout.buffer.write(made.content)
        sys.stdout.buffer.flush()
        sys.stderr.write(signature)
        return
    target = Path(out)
    try:
        target.write_bytes(made.content)
        target.with_name(target.name + ".sig").write_text(signature, encoding="utf-8")
    except OSError as exc:
        raise fields.FieldInvalid("--out", f"cannot be written: {exc.strerror}") from exc
    totals = made.totals
    console.print(f"[green]ok[/green] {target}: {totals.lines} lines, {totals.accounts} "
                  f"accounts, credits {totals.credit_fen} fen = debits {totals.debit_fen} fen; "
                  f"sha256 {made.sha256}")
