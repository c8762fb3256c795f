"""R-S10, R-S4: a bulk intake of many files (``messages.submit_files``, reading worker
processes) answers, refuses, nets and queues exactly as ``submit_message`` one file after
another does — the same outcome per file and item, the same positions, queues and events —
with a file that is not XML, a package from an unknown bank, a replay, a debit and a queue
released by a later credit among them, on PostgreSQL and SQLite."""

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cunguan.clearing.handlers import messages
from cunguan.clearing.handlers.packages import Intake
from cunguan.clearing.handlers.service import ClearingService
from cunguan.clearing.iso20022 import VERSIONS, validate
from cunguan.clearing.iso20022.reader import read_package
from cunguan.clearing.iso20022.records import Header
from cunguan.clearing.iso20022.writer import write_package
from cunguan.clearing.rules.commands import package_from
from cunguan.clearing.rules.packages import Package
from cunguan.core.clock import CST, FixedClock
from cunguan.core.errors import CunguanError
from cunguan.platform.cli.main import app
from tests.clearing.integration.helpers import (
    ABC,
    BOC,
    CCB,
    DAY,
    ICBC,
    clearing,
    credit,
    item,
    package,
)

UNKNOWN = "999100000999"


def _service(engine: Engine, system_id: str) -> ClearingService:
    clock = FixedClock(datetime(DAY.year, DAY.month, DAY.day, 9, 30, tzinfo=CST))
    service = ClearingService(engine, clock=clock, system_id=system_id)
    service.create_system(DAY)
    for code in (ICBC, CCB, BOC, ABC):
        service.add_participant(code, code, "direct")
        service.set_cap(code, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    return service


def _file(folder: Path, name: str, raw: dict[str, Any]) -> Path:
    parsed = package_from(raw)
    path = folder / name
    path.write_bytes(write_package(parsed, Header(parsed.message_id, datetime(2026, 12, 7, 9),
                                                  parsed.sender_bank, parsed.receiver_bank)))
    return path


def _files(folder: Path) -> list[Path]:
    debit = package("D1", "ordinary_debit", CCB, ICBC,
                    [item(1, ICBC, CCB, 40_000), item(2, ICBC, CCB, 5_000)])
    bad = folder / "bad.xml"
    bad.write_bytes(b"not a message at all")
    return [_file(folder, "1.xml", credit("M1", ICBC, CCB, 600_000, 300_000)),
            _file(folder, "2.xml", credit("M2", ICBC, BOC, 200_000, 7_000)),   # queues
            bad,
            _file(folder, "3.xml", credit("M3", UNKNOWN, CCB, 10_000)),
            _file(folder, "4.xml", credit("M1", ICBC, CCB, 600_000, 300_000)),  # replay
            _file(folder, "5.xml", debit),
            *(_file(folder, f"6{n}.xml", credit(f"M6{n}", BOC, ABC, 1_000 + n, 2_000))
              for n in range(6)),
            _file(folder, "7.xml", credit("M7", CCB, ICBC, 950_000)),          # releases
            _file(folder, "8.xml", credit("M8", CCB, ICBC, 60_000, 70_000, 80_000))]


def _outcome(taken: messages.FileTaken) -> Any:
    if isinstance(taken, CunguanError):
        return ("file refused", taken.code, taken.message)
    return [(package.message_id, intake.states, intake.replayed)
            if isinstance(intake, Intake) else (package.message_id, intake.code, intake.message)
            for package, intake in taken]


def _one_by_one(service: ClearingService, path: Path) -> Any:
    """What ``submit_message`` does with a file (read, then each package taken), each
    refusal caught where it was raised."""
    try:
        with path.open("rb") as source:
            packages = read_package(source)
    except CunguanError as refusal:
        return _outcome(refusal)
    taken: list[tuple[Package, Intake | CunguanError]] = []
    for parsed in packages:
        try:
            taken.append((parsed, service.submit_package(parsed)))
        except CunguanError as refusal:
            taken.append((parsed, refusal))
    return _outcome(taken)


def _facts(service: ClearingService) -> Any:
    events = [(e["kind"], e["bank_code"], e["details"]) for e in service.events()]
    return service.positions(), service.queue(), events


@pytest.mark.parametrize("workers", [2, 0])
def test_r_s10_files_taken_in_bulk_as_one_message_after_another(
        engine: Engine, tmp_path: Path, workers: int) -> None:
    files = _files(tmp_path)
    reference = _service(engine, "ONE")
    expected = [(path, _one_by_one(reference, path)) for path in files]
    bulk = _service(engine, "BULK")
    got = [(path, _outcome(taken))
           for path, taken in messages.submit_files(bulk, files, workers=workers)]
    assert got == expected
    assert _facts(bulk) == _facts(reference)
    outcomes = dict(expected)
    assert outcomes[files[2]][:2] == ("file refused", "message_invalid")
    assert outcomes[files[3]][0][1] == "bank_unknown"                        # at intake
    assert outcomes[files[4]][0][2] is True                                   # the replay
    assert {s for _, s in outcomes[files[1]][0][1]} == {"queued"}
    assert reference.queue() == {}                                   # released by M7
    assert {s for _, s in outcomes[files[5]][0][1]} == {"awaiting_receipt"}


def test_r_s10_cli_submit_files_reports_each_file_and_writes_the_answers(
        engine: Engine, tmp_path: Path) -> None:
    service, _ = clearing(engine)
    for code in (ICBC, CCB):
        service.set_cap(code, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    good = _file(tmp_path, "1.xml", credit("M1", ICBC, CCB, 60_000, 30_000))
    unknown = _file(tmp_path, "2.xml", credit("M2", UNKNOWN, CCB, 10_000))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<not/>")
    answers = tmp_path / "answers"
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["--database-url", url, "clearing", "submit-files",
                                      str(good), str(bad), str(unknown), "--workers", "2",
                                      "--answers", str(answers)])
    assert result.exit_code == 1, result.output
    assert '"refused": "message_invalid"' in result.output
    assert '"refused": "bank_unknown"' in result.output
    assert service.item_state(f"{ICBC}:M1:1") == "netted"
    for name in ("AM1.xml", "AM2.xml"):
        validate((answers / name).read_bytes(), VERSIONS["pacs.002"])
    assert sorted(p.name for p in answers.iterdir()) == ["AM1.xml", "AM2.xml"]


@pytest.mark.parametrize("workers", [True, 1.5, float("nan"), 2**64, -1, 17, "2", None])
def test_r_s10_bulk_intake_refuses_a_hostile_worker_count_before_taking_anything(
        engine: Engine, tmp_path: Path, workers: object) -> None:
    service = _service(engine, "HOSTILE")
    files = _files(tmp_path)
    with pytest.raises(CunguanError) as refused:
        messages.submit_files(service, files, workers=workers)
    assert refused.value.code == "field_invalid"
    assert service.positions() == _service(engine, "CLEAN").positions()   # nothing taken


@pytest.mark.parametrize("paths", ["1.xml", b"1.xml", ["a\x00.xml"], [1], {"1.xml": 1}])
def test_r_s10_bulk_intake_refuses_what_is_not_a_list_of_paths(
        engine: Engine, paths: object) -> None:
    service = _service(engine, "PATHS")
    with pytest.raises(CunguanError) as refused:
        messages.submit_files(service, paths, workers=0)  # type: ignore[arg-type]
    assert refused.value.code == "field_invalid"


@pytest.mark.parametrize("workers", [0, 2])
def test_r_s10_a_file_that_cannot_be_read_is_its_own_refusal(
        engine: Engine, tmp_path: Path, workers: int) -> None:
    service = _service(engine, "GONE")
    good = _file(tmp_path, "1.xml", credit("M1", ICBC, CCB, 60_000))
    gone = tmp_path / "gone.xml"
    got = list(messages.submit_files(service, [gone, good], workers=workers))
    assert isinstance(got[0][1], CunguanError) and got[0][1].code == "field_invalid"
    assert isinstance(got[1][1], list) and isinstance(got[1][1][0][1], Intake)


@pytest.mark.parametrize("workers", ["２", "1.5", "NaN", "18446744073709551616", "-1", "",
                                     "1\x00", "17"])
def test_r_s10_cli_submit_files_refuses_a_hostile_worker_count(
        engine: Engine, tmp_path: Path, workers: str) -> None:
    service, _ = clearing(engine)
    good = _file(tmp_path, "1.xml", credit("M1", ICBC, CCB, 60_000))
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["--database-url", url, "clearing", "submit-files",
                                      str(good), "--workers", workers])
    assert result.exit_code == 2, result.output
    assert "field_invalid" in result.output and "Traceback" not in result.output
    assert service.item_state(f"{ICBC}:M1:1") is None                  # nothing taken
