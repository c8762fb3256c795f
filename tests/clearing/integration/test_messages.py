"""R-S10 end to end on SQLite and PostgreSQL: a pacs.008 file submitted through the CLI nets,
its pacs.002 answer and a bank's pacs.002 receipts and camt.053 statement are written and valid
against their XSDs; a refused file changes nothing."""

import json
from datetime import datetime
from pathlib import Path

from lxml import etree
from sqlalchemy import Engine
from typer.testing import CliRunner

from cunguan.clearing.handlers.service import ClearingService
from cunguan.clearing.iso20022 import VERSIONS, validate
from cunguan.clearing.iso20022.records import Header
from cunguan.clearing.iso20022.writer import write_package
from cunguan.clearing.rules.commands import package_from
from cunguan.platform.cli.main import app
from cunguan.reconcile.formats.camt import read_camt053
from tests.clearing.integration.helpers import CCB, DAY, ICBC, clearing, credit, item, package

runner = CliRunner()


def _cli(engine: Engine, *args: str, exit_code: int = 0) -> str:
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["--database-url", url, "clearing", *args])
    assert result.exit_code == exit_code, result.output
    return result.output


def _message(tmp_path: Path, raw: dict[str, object]) -> Path:
    parsed = package_from(raw)
    path = tmp_path / f"{parsed.message_id}.xml"
    path.write_bytes(write_package(parsed, Header(parsed.message_id, datetime(2026, 12, 7, 9),
                                                  parsed.sender_bank, parsed.receiver_bank)))
    return path


def _texts(data: bytes, local: str) -> list[str]:
    return [e.text or "" for e in etree.fromstring(data).iter()
            if etree.QName(e).localname == local]


def _positions(service: ClearingService) -> dict[str, int]:
    return {row["bank_code"]: row["position_fen"] for row in service.positions()}


def _ready(engine: Engine) -> ClearingService:
    service, _ = clearing(engine)
    for bank in (ICBC, CCB):
        service.set_cap(bank, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    service.fund("f1", ICBC, 2_000_000)
    return service


def test_r_s10_a_pacs008_file_submitted_through_the_cli_nets_and_is_answered_in_pacs002(
        engine: Engine, tmp_path: Path) -> None:
    service = _ready(engine)
    path = _message(tmp_path, credit("M1", ICBC, CCB, 60_000, 30_000))
    answer = tmp_path / "answer.xml"
    [taken] = json.loads(_cli(engine, "submit-xml", str(path), "--answer", str(answer)))
    assert set(taken["items"].values()) == {"netted"} and taken["replayed"] is False
    positions = _positions(service)
    assert positions[ICBC] == -90_000 and positions[CCB] == 90_000
    assert sum(positions.values()) == 0
    validate(answer.read_bytes(), VERSIONS["pacs.002"])
    assert _texts(answer.read_bytes(), "GrpSts") == ["ACTC"]
    assert _texts(answer.read_bytes(), "TxSts") == ["ACSP", "ACSP"]
    [again] = json.loads(_cli(engine, "submit-xml", str(path)))
    assert again["replayed"] is True and _positions(service) == positions


def test_r_s10_a_refused_file_changes_nothing_and_its_answer_names_the_reason(
        engine: Engine, tmp_path: Path) -> None:
    service = _ready(engine)
    broken = tmp_path / "broken.xml"
    broken.write_bytes(_message(tmp_path, credit("M2", ICBC, CCB, 1_000)).read_bytes()
                       .replace(b"<MsgId>M2</MsgId>", b""))
    assert "message_invalid" in _cli(engine, "submit-xml", str(broken), exit_code=1)
    over = _message(tmp_path, credit("M3", ICBC, CCB, 5_000_001))
    answer = tmp_path / "answer.xml"
    out = _cli(engine, "submit-xml", str(over), "--answer", str(answer), exit_code=1)
    assert "credit_over_ceiling" in out
    validate(answer.read_bytes(), VERSIONS["pacs.002"])
    assert _texts(answer.read_bytes(), "GrpSts") == ["RJCT"]
    assert _texts(answer.read_bytes(), "Cd")[-1] == "AM02"
    assert set(_positions(service).values()) == {0}


def test_r_s10_a_banks_receipts_and_its_statement_are_written_as_pacs002_and_camt053(
        engine: Engine, tmp_path: Path) -> None:
    service = _ready(engine)
    debit = package("D1", "ordinary_debit", CCB, ICBC, [item(1, ICBC, CCB, 5_000, term=1)])
    [taken] = json.loads(_cli(engine, "submit-xml", str(_message(tmp_path, debit)),
                              "--bank", CCB))
    [(item_id, state)] = taken["items"].items()
    assert state == "awaiting_receipt"
    service.answer_items([item_id], ICBC, paid=True)
    receipts = tmp_path / "receipts.xml"
    _cli(engine, "receipts", "--bank", CCB, "--out", str(receipts))
    data = receipts.read_bytes()
    validate(data, VERSIONS["pacs.002"])
    assert _texts(data, "OrgnlMsgId") == ["D1"] and _texts(data, "OrgnlEndToEndId") == ["E1"]
    assert _texts(data, "OrgnlMsgNmId") == [VERSIONS["pacs.003"]]
    assert _texts(data, "TxSts") == ["ACSP"]
    statement = tmp_path / "statement.xml"
    _cli(engine, "statement", "--bank", ICBC, "--date", DAY.isoformat(), "--out", str(statement))
    validate(statement.read_bytes(), VERSIONS["camt.053"])
    read = read_camt053(statement.read_bytes(), None)
    assert (read.opening_balance_fen, read.closing_balance_fen) == (0, 2_000_000)
    assert [(line.amount_fen, line.direction.value) for line in read.lines] == [
        (2_000_000, "credit")]
    assert "bank_unknown" in _cli(engine, "statement", "--bank", "999999999999", "--date",
                                  DAY.isoformat(), "--out", str(statement), exit_code=1)
