"""``cunguan reconcile …`` at the edge, on both backends: the register, a break's adjustment
by a maker and another operator, refusals printed with their code and exit 1 (2 for bad
input)."""

from pathlib import Path

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from cunguan.platform.cli.main import app
from cunguan.reconcile.store.tables import reconcile_lines
from tests.helpers import SUMMARY, TENANT
from tests.reconcile.integration.helpers import BANK_ACCOUNT, world
from tests.reconcile.integration.test_breaks import _break

runner = CliRunner()


def _db(engine: Engine) -> list[str]:
    return ["--database-url", engine.url.render_as_string(hide_password=False)]


def test_r_b1_accounts_add_and_list(engine: Engine) -> None:
    world(engine)
    db = _db(engine)
    added = runner.invoke(app, [*db, "reconcile", "accounts", "add", "95588001", "--bank",
                                "ICBC", "--kind", "collection", "-p", TENANT, "--mirror",
                                SUMMARY, "--operator", "ops-alice"])
    assert added.exit_code == 0, added.output
    again = runner.invoke(app, [*db, "reconcile", "accounts", "add", "95588001", "--bank",
                                "ICBC", "--kind", "collection", "--operator", "ops-alice"])
    assert again.exit_code == 1 and "account_registered" in again.output, again.output
    bad = runner.invoke(app, [*db, "reconcile", "accounts", "add", "95588002", "--bank",
                              "ICBC", "--kind", "vault", "--operator", "ops-alice"])
    assert bad.exit_code == 2 and "field_invalid" in bad.output, bad.output
    listed = runner.invoke(app, [*db, "reconcile", "accounts", "list", "--json"])
    assert listed.exit_code == 0
    assert "95588001" in listed.output and BANK_ACCOUNT in listed.output


def test_r_b2_cli_adjustment_maker_refused_as_checker_then_posted(engine: Engine) -> None:
    w = world(engine)
    break_id = str(_break(w, 1_234))
    db = [*_db(engine), "reconcile", "breaks"]
    listed = runner.invoke(app, [*db, "list", "--json"])
    assert listed.exit_code == 0 and "bank_only" in listed.output, listed.output
    for args in (["assign", break_id, "--owner", "ops-dave"],
                 ["note", break_id, "--text", "interest of November"],
                 ["propose", break_id, "--debit", SUMMARY, "--credit", "FEE", "--amount",
                  "12.34", "--memo", "interest"]):
        done = runner.invoke(app, [*db, *args, "--operator", "ops-alice"])
        assert done.exit_code == 0, done.output
    maker = runner.invoke(app, [*db, "approve", break_id, "--operator", "ops-alice"])
    assert maker.exit_code == 1 and "checker_is_maker" in maker.output, maker.output
    checker = runner.invoke(app, [*db, "approve", break_id, "--operator", "ops-bob"])
    assert checker.exit_code == 0 and "posted as transaction" in checker.output
    replay = runner.invoke(app, [*db, "approve", break_id, "--operator", "ops-bob"])
    assert replay.exit_code == 0 and "replayed" in replay.output
    assert w.ledger.account(TENANT, SUMMARY).balance_fen == 1_234
    shown = runner.invoke(app, [*db, "show", break_id])
    assert shown.exit_code == 0 and '"resolved"' in shown.output
    missing = runner.invoke(app, [*db, "show", "999"])
    assert missing.exit_code == 1 and "break_not_found" in missing.output


DATA = Path(__file__).resolve().parents[1] / "data"
ICBC_ACCOUNT = "0200001234567890123"


def test_r_b2_cli_import_is_idempotent_and_a_gap_is_refused_whole(engine: Engine) -> None:
    world(engine)
    db = [*_db(engine), "reconcile"]
    added = runner.invoke(app, [*db, "accounts", "add", ICBC_ACCOUNT, "--bank", "ICBC",
                                "--kind", "custody", "-p", TENANT, "--mirror", SUMMARY,
                                "--operator", "ops-alice"])
    assert added.exit_code == 0, added.output
    icbc = ["import", str(DATA / "icbc_20261207.csv"), "--format", "csv:icbc",
            "--operator", "ops-alice"]
    first = runner.invoke(app, [*db, *icbc])
    assert first.exit_code == 0 and "4 lines" in first.output, first.output
    assert "replayed" not in first.output
    again = runner.invoke(app, [*db, *icbc])
    assert again.exit_code == 0 and "replayed" in again.output, again.output
    # the same day in camt.053 opens where the ICBC export opened, not where it closed
    camt = runner.invoke(app, [*db, "import", str(DATA / "camt053_20261207.xml"), "--format",
                               "camt.053", "--operator", "ops-alice"])
    assert camt.exit_code == 1 and "statement_not_continuous" in camt.output, camt.output
    unknown = runner.invoke(app, [*db, "import", str(DATA / "camt053_20261207.xml"),
                                  "--format", "camt.999", "--operator", "ops-alice"])
    assert unknown.exit_code == 2 and "field_invalid" in unknown.output, unknown.output
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(reconcile_lines)).scalar_one() == 4
