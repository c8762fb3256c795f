"""Hostile input at the clearing context's three edges — the Python API
(``ClearingService``), the participants' and NPC operators' signed HTTP API and
``cunguan clearing …`` — against a real database with four banks, caps and netted items.
Every value a field refuses is refused with a named code (docs/ERRORS.md) and nothing written;
never a 500, a traceback or a driver error; and the three edges refuse alike.

Defects this suite found (each fixed where the command is built):
- ``events(bank)`` and ``queue(bank)`` took any object as the bank: 2**63, a list or a lone
  surrogate reached the driver (OverflowError, ProgrammingError, UnicodeEncodeError), a NUL
  answered an empty queue — now ``bank_code`` checks it (field_invalid);
- ``day_end(datetime)`` raised TypeError (a datetime is a date) — now a day is a date only;
- ``cunguan clearing submit`` read its JSON file leniently: a key named twice took its last
  value (the API refuses ``body_duplicate_key``), deep nesting and a 5,000-digit number ended
  in a traceback; ``day-end --reports`` raised on a malformed, BOM-prefixed or non-UTF-8 file
  — both now read their file with the API's strict JSON reader;
- ``cunguan clearing cap --haircut-bps`` took '5_000', '+5' and ' 5 ' (Python's int());
- ``cunguan clearing init --sessions`` took '１０:００', '10:00+08:00' and '10:00:00.5'.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cunguan.clearing.handlers.service import ClearingService
from cunguan.clearing.rules.participants import bank_code
from cunguan.client import CunguanClient
from cunguan.core import fields, limits
from cunguan.core.clock import CST
from cunguan.core.errors import CunguanError
from cunguan.db.connection import make_engine, upgrade
from cunguan.platform.cli.main import app
from tests.api_helpers import Api, api_for
from tests.clearing.integration.helpers import ABC, BOC, CCB, DAY, ICBC, clearing, credit
from tests.hostile import (
    CORE,
    NAMED,
    NOT_A_REFUSAL,
    Watch,
    accepted_by,
    arabic_indic,
    documented_codes,
    full_width,
    watched_tables,
)

runner = CliRunner()
SYSTEM = "beps"


def _bank_ok(value: Any) -> bool:
    return accepted_by(bank_code)(value)


_id_ok = accepted_by(lambda v: fields.identifier(v, "f", limits.clearing_item_id_length_max))
_request_ok = accepted_by(lambda v: fields.identifier(v, "f", limits.request_no_length_max))
_flag_ok = accepted_by(lambda v: fields.flag(v, "f"))
_amount_ok = accepted_by(lambda v: fields.amount_fen(v, "f"))
_amount0_ok = accepted_by(lambda v: fields.amount_fen(v, "f", minimum=0))
_bps_ok = accepted_by(lambda v: fields.whole_number(v, "f", minimum=0, maximum=10_000))
_cursor_ok = accepted_by(lambda v: fields.whole_number(v, "f", minimum=0, maximum=limits.id_max))
_limit_ok = accepted_by(lambda v: fields.whole_number(
    v, "f", minimum=1, maximum=limits.events_per_page_max))
_name_ok = accepted_by(lambda v: fields.text(v, "f", max_length=limits.display_name_length_max))
_day_ok = accepted_by(lambda v: fields.day(v, "f"))
_account_ok = accepted_by(lambda v: fields.identifier(v, "f", limits.account_no_length_max))
_customer_ok = accepted_by(lambda v: fields.identifier(v, "f"))

BANK_EXTRAS = (full_width(ICBC), arabic_indic(ICBC), ICBC + "\x00", ICBC[:-1], int(ICBC),
               ICBC + "0", "ｕ" + ICBC[1:])


@dataclass
class World:
    service: ClearingService
    watch: Watch
    item_id: str


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    service, _ = clearing(engine)
    service.set_cap(ICBC, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    intake = service.submit_package(credit("M1", ICBC, CCB, 30_000, 20_000), by_bank=ICBC)
    service.open_bank_books(ICBC)
    service.open_customer_account(ICBC, "C0", "u0")
    watch = Watch(engine, watched_tables(engine))
    try:
        yield World(service, watch, intake.states[0][0])
    finally:
        watch.close()


def _commands(w: World) -> dict[str, tuple[Callable[[Any], Any], Callable[[Any], bool]]]:
    """Each argument of each command: the call with that argument hostile, and what the
    argument's own check accepts (those values are not hostile, and are not tried)."""
    s, item = w.service, w.item_id
    return {
        "answer_items.item_ids": (lambda v: s.answer_items(v, CCB, paid=True),
                                  lambda v: False),
        "answer_items.item_ids[0]": (lambda v: s.answer_items([v], CCB, paid=True), _id_ok),
        "answer_items.by_bank": (lambda v: s.answer_items([item], v, paid=True), _bank_ok),
        "answer_items.paid": (lambda v: s.answer_items([item], CCB, paid=v), _flag_ok),
        "credit_payees.item_ids": (lambda v: s.credit_payees(v, CCB), lambda v: False),
        "credit_payees.by_bank": (lambda v: s.credit_payees([item], v), _bank_ok),
        "revoke.sender": (lambda v: s.revoke(v, "M1", ICBC), _bank_ok),
        "revoke.message_id": (lambda v: s.revoke(ICBC, v, ICBC), _id_ok),
        "revoke.by_bank": (lambda v: s.revoke(ICBC, "M1", v), _bank_ok),
        "reverse.item_id": (lambda v: s.reverse(v, ICBC), _id_ok),
        "reverse.by_bank": (lambda v: s.reverse(item, v), _bank_ok),
        "request_stop.item_id": (lambda v: s.request_stop(v, ICBC), _id_ok),
        "answer_stop.accepted": (lambda v: s.answer_stop(item, ICBC, accepted=v), _flag_ok),
        "return_item.item_id": (lambda v: s.return_item(v, CCB), _id_ok),
        "return_item.by_bank": (lambda v: s.return_item(item, v), _bank_ok),
        "item.item_id": (lambda v: s.item(v, for_bank=ICBC), _id_ok),
        "available_cap.code": (s.available_cap, _bank_ok),
        "events.bank": (s.events, lambda v: v is None or _bank_ok(v)),
        "events.after": (lambda v: s.events(ICBC, after=v), _cursor_ok),
        "events.limit": (lambda v: s.events(ICBC, limit=v), _limit_ok),
        "queue.bank": (s.queue, lambda v: v is None or _bank_ok(v)),
        "add_participant.code": (lambda v: s.add_participant(v, "n", "direct"), _bank_ok),
        "add_participant.name": (lambda v: s.add_participant("999999999999", v, "direct"),
                                 _name_ok),
        "add_participant.role": (lambda v: s.add_participant("999999999998", "n", v),
                                 lambda v: v in ("direct", "indirect")
                                 and isinstance(v, str)),
        "add_participant.through": (lambda v: s.add_participant("999999999997", "n",
                                                                "indirect", v), _bank_ok),
        "set_cap.collateral_fen": (lambda v: s.set_cap(ICBC, collateral_fen=v, haircut_bps=0,
                                                       credit_line_fen=0), _amount0_ok),
        "set_cap.haircut_bps": (lambda v: s.set_cap(ICBC, collateral_fen=0, haircut_bps=v,
                                                    credit_line_fen=0), _bps_ok),
        "set_cap.credit_line_fen": (lambda v: s.set_cap(ICBC, collateral_fen=0, haircut_bps=0,
                                                        credit_line_fen=v), _amount0_ok),
        "set_cap.code": (lambda v: s.set_cap(v, collateral_fen=0, haircut_bps=0,
                                             credit_line_fen=0), _bank_ok),
        "fund.request_no": (lambda v: s.fund(v, ICBC, 1), _request_ok),
        "fund.code": (lambda v: s.fund("F1", v, 1), _bank_ok),
        "fund.amount": (lambda v: s.fund("F2", ICBC, v), _amount_ok),
        "earmark.request_no": (lambda v: s.earmark(v, ICBC, 1), _request_ok),
        "earmark.amount": (lambda v: s.earmark("E1", ICBC, v), _amount_ok),
        "release_earmark.request_no": (s.release_earmark, _request_ok),
        "set_status.status": (lambda v: s.set_status(BOC, v),
                              lambda v: v in ("open", "closed") and isinstance(v, str)),
        "submit_package": (lambda v: s.submit_package(v, by_bank=ICBC), lambda v: False),
        "submit_package.by_bank": (lambda v: s.submit_package(credit("M9", ICBC, CCB, 1),
                                                              by_bank=v),
                                   lambda v: v is None or _bank_ok(v)),
        "day_end.work_day": (s.day_end, _day_ok),
        # a participant bank's own books (issue 22)
        "open_customer_account.code": (lambda v: s.open_customer_account(v, "C1", "u1"),
                                       _bank_ok),
        "open_customer_account.account_no": (lambda v: s.open_customer_account(ICBC, v, "u1"),
                                             _account_ok),
        "open_customer_account.customer_no": (lambda v: s.open_customer_account(
            ICBC, "C2", v), _customer_ok),
        "deposit.request_no": (lambda v: s.deposit(ICBC, v, "C0", 1), _request_ok),
        "deposit.account_no": (lambda v: s.deposit(ICBC, "D1", v, 1), _account_ok),
        "deposit.amount": (lambda v: s.deposit(ICBC, "D2", "C0", v), _amount_ok),
        **{f"send_credit.{name}": (_send(s, at), ok) for at, (name, ok) in enumerate((
            ("code", _bank_ok), ("serial_no", _id_ok), ("customer_account", _account_ok),
            ("customer_name", _name_ok), ("creditor_bank", _bank_ok),
            ("creditor_account", _account_ok), ("creditor_name", _name_ok),
            ("amount", _amount_ok)))},
        "send_outward.code": (s.send_outward, _bank_ok),
        "sync_outward.code": (s.sync_outward, _bank_ok),
        "take_inward.code": (s.take_inward, _bank_ok),
    }


def _send(s: ClearingService, at: int) -> Callable[[Any], Any]:
    good: list[Any] = [ICBC, "S1", "C0", "张三", CCB, "6217000001", "李四", 100]

    def call(value: Any) -> Any:
        args = list(good)
        args[at] = value
        return s.send_credit(*args)
    return call


def _try_all(w: World, values: tuple[Any, ...]) -> list[str]:
    documented = documented_codes()
    problems = []
    for name, (call, accepts) in _commands(w).items():
        extras = BANK_EXTRAS if accepts is _bank_ok else ()
        for value in (*values, *extras):
            if accepts(value):
                continue
            w.watch.before()
            try:
                call(value)
            except CunguanError as exc:
                if exc.code in NOT_A_REFUSAL or exc.code not in documented:
                    problems.append(f"{name}={value!r:.40}: code {exc.code}")
            except Exception as exc:
                problems.append(f"{name}={value!r:.40}: {type(exc).__name__}: {exc!s:.80}")
                continue
            else:
                problems.append(f"{name}={value!r:.40}: accepted")
            changed = w.watch.changes(SYSTEM, None)
            if changed:
                problems.append(f"{name}={value!r:.40}: wrote {changed}")
    return problems


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_r_s2_every_clearing_command_refuses_hostile_arguments_by_name_writing_nothing(
        world: World) -> None:
    problems = _try_all(world, NAMED)
    assert not problems, "\n".join(problems[:40])


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_r_s2_clearing_commands_refuse_hostile_arguments_on_postgresql(world: World) -> None:
    problems = _try_all(world, CORE[::4])
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("value", [2**63, 2**64, [ICBC], "\ud800", ICBC + "\x00", -1])
def test_r_s3_events_and_queue_of_a_hostile_bank_are_field_invalid(
        world: World, value: Any) -> None:
    for call in (world.service.events, world.service.queue):
        with pytest.raises(CunguanError) as caught:
            call(value)
        assert caught.value.code == "field_invalid", caught.value


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_r_s9_day_end_of_a_datetime_is_field_invalid_not_a_type_error(world: World) -> None:
    for value in (datetime(2026, 12, 6, tzinfo=CST), datetime(2026, 12, 6), 20261206):
        with pytest.raises(CunguanError) as caught:
            world.service.day_end(value)
        assert caught.value.code == "field_invalid", caught.value


# -- the signed HTTP API ----------------------------------------------------------------------
def _bank_client(api: Api, code: str) -> CunguanClient:
    api.operator.post("/v1/operator/clearing/participants",
                      {"bank_code": code, "name": code, "role": "direct"})
    issued = api.operator.post(f"/v1/operator/clearing/participants/{code}/keys", {})
    return api.client(issued.body["key_id"], issued.body["secret"])


def _package(message_id: str, *amounts: int) -> dict[str, Any]:
    package = credit(message_id, ICBC, CCB, *amounts)
    package["work_date"] = "2026-11-23"
    return package


RAW_BODIES: dict[str, tuple[bytes, str]] = {
    "a key named twice": (b'{"message_id": "M5", "message_id": "M6"}', "application/json"),
    "NaN": (b'{"amount_fen": NaN}', "application/json"),
    "Infinity": (b'{"amount_fen": Infinity}', "application/json"),
    "a BOM": (b'\xef\xbb\xbf{"amount_fen": 1}', "application/json"),
    "GBK bytes": ('{"name": "张三"}'.encode("gbk"), "application/json"),
    "GBK declared": ('{"name": "张三"}'.encode("gbk"), "application/json; charset=gbk"),
    "UTF-16": ('{"amount_fen": 1}'.encode("utf-16"), "application/json"),
    "text/plain": (b'{"amount_fen": 1}', "text/plain"),
    "XML": (b"<Document/>", "application/xml"),
    "form": (b"amount_fen=1", "application/x-www-form-urlencoded"),
    "truncated": (b'{"amount_fen": 1', "application/json"),
    "nested": (b"[" * 5_000 + b"]" * 5_000, "application/json"),
    "a 5,000-digit number": (b'{"amount_fen": 1' + b"0" * 5_000 + b"}", "application/json"),
    "a lone surrogate": (b'{"name": "\\ud800"}', "application/json"),
    "not an object": (b"[1, 2]", "application/json"),
    "a string": (b'"x"', "application/json"),
    "null": (b"null", "application/json"),
    "empty": (b"", "application/json"),
}
POSTS = ["/v1/clearing/packages", "/v1/clearing/answers", "/v1/clearing/credited",
         "/v1/clearing/revocations", f"/v1/clearing/items/{ICBC}:M1:1/stop-answer"]
OPERATOR_POSTS = ["/v1/operator/clearing/participants",
                  f"/v1/operator/clearing/participants/{ICBC}/fundings",
                  f"/v1/operator/clearing/participants/{ICBC}/earmarks"]


def _refused(answer: Any, where: str) -> str | None:
    if answer.status not in (400, 403, 404, 405, 409, 413, 415, 422):
        return f"{where}: status {answer.status} {str(answer.body)[:80]}"
    code = answer.body.get("code") if isinstance(answer.body, dict) else None
    if code not in documented_codes():
        return f"{where}: code {code!r}"
    return None


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as found:
        found.bank.clearing.create_system(datetime(2026, 11, 23).date())
        yield found


def test_r_s2_hostile_bodies_on_every_clearing_route_are_refused_by_name(api: Api) -> None:
    icbc, _ = _bank_client(api, ICBC), _bank_client(api, CCB)
    watch = Watch(api.bank.engine, watched_tables(api.bank.engine))
    problems = []
    try:
        for path in POSTS + OPERATOR_POSTS:
            client = api.operator if path.startswith("/v1/operator") else icbc
            for name, (body, content_type) in RAW_BODIES.items():
                watch.before()
                answer = client._send("POST", path, body, content_type)
                problems.append(_refused(answer, f"POST {path} {name}"))
                if watch.changes(SYSTEM, None):
                    problems.append(f"POST {path} {name}: wrote")
    finally:
        watch.close()
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems[:30])


def test_r_s2_r_s3_hostile_fields_over_http_are_refused_as_in_python(api: Api) -> None:
    icbc = _bank_client(api, ICBC)
    _bank_client(api, CCB)
    cap = f"/v1/operator/clearing/participants/{ICBC}/cap"
    bodies: list[tuple[CunguanClient, str, str, dict[str, Any]]] = []
    for value in (True, 1.5, "100", -1, 2**63, 2**64, None, [1], {"a": 1}, "１２３"):
        bodies += [
            (api.operator, "PUT", cap, {"collateral_fen": value, "haircut_bps": 0,
                                        "credit_line_fen": 0}),
            (api.operator, "PUT", cap, {"collateral_fen": 0, "haircut_bps": value,
                                        "credit_line_fen": 0}),
            (api.operator, "POST", f"/v1/operator/clearing/participants/{ICBC}/fundings",
             {"request_no": "F1", "amount_fen": value}),
            (icbc, "POST", "/v1/clearing/answers", {"item_ids": value, "paid": True}),
            (icbc, "POST", "/v1/clearing/answers", {"item_ids": ["x"], "paid": value}),
            (icbc, "POST", "/v1/clearing/packages",
             {**_package("M2", 1), "control_sum_fen": value}),
            (api.operator, "POST", "/v1/operator/clearing/participants",
             {"bank_code": value, "name": "n", "role": "direct"}),
        ]
    for value in (0, -1, 1.001, True, "1", 2**63):
        package = _package("M3", 100)
        package["items"][0]["amount_fen"] = value
        bodies.append((icbc, "POST", "/v1/clearing/packages", package))
    for day in ("2026-02-30", "9999-12-31", "２０２６-11-23", "2026-11-23T00:00:00"):
        bodies.append((icbc, "POST", "/v1/clearing/packages", {**_package("M4", 1),
                                                                 "work_date": day}))
    problems = [_refused(client.request(method, path, body), f"{method} {path} {body}"[:160])
                for client, method, path, body in bodies]
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("target", [
    "/v1/clearing/items/%00", "/v1/clearing/items/" + "x" * 65,
    "/v1/clearing/items/%EF%BC%91", "/v1/clearing/items/..%2F..%2Fetc",
    "/v1/clearing/events?after=%EF%BC%91%EF%BC%92", "/v1/clearing/events?after=-1",
    f"/v1/clearing/events?after={2**64}", "/v1/clearing/events?after=NaN",
    "/v1/clearing/events?limit=0", "/v1/clearing/events?limit=1e3",
    "/v1/clearing/events?after=1&after=2x",
])
def test_r_s2_hostile_paths_and_queries_are_refused_by_name(api: Api, target: str) -> None:
    icbc = _bank_client(api, ICBC)
    problem = _refused(icbc.get(target), target)
    assert problem is None, problem


def test_r_s2_hostile_bank_codes_in_operator_paths_are_refused(api: Api) -> None:
    for code in (full_width(ICBC), "%00" * 12, ICBC[:-1], ICBC + "0", "1" * 12 + "%0A"):
        answer = api.operator.put(f"/v1/operator/clearing/participants/{code}/cap", {
            "collateral_fen": 0, "haircut_bps": 0, "credit_line_fen": 0})
        problem = _refused(answer, code)
        assert problem is None, problem


# -- the command line ---------------------------------------------------------------------
@dataclass
class Cli:
    url: str
    engine: Engine
    folder: Path
    watch: Watch

    def run(self, *args: str) -> Any:
        return runner.invoke(app, ["--database-url", self.url, "clearing", *args])


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    folder = tmp_path_factory.mktemp("clearing-hostile")
    url = f"sqlite:///{folder}/c.db"
    engine = make_engine(url)
    upgrade(engine)
    service, _ = clearing(engine)
    service.set_cap(ICBC, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    watch = Watch(engine, watched_tables(engine))
    yield Cli(url, engine, folder, watch)
    watch.close()
    engine.dispose()


def _refused_by_cli(cli: Cli, *args: str) -> str | None:
    cli.watch.before()
    result = cli.run(*args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"{args}: raised {type(result.exception).__name__}: {result.exception!s:.80}"
    if result.exit_code not in (1, 2):
        return f"{args}: exit {result.exit_code} {result.output[-120:]}"
    if cli.watch.changes(SYSTEM, None):
        return f"{args}: wrote"
    return None


def _file(cli: Cli, name: str, content: bytes) -> str:
    path = cli.folder / name
    path.write_bytes(content)
    return str(path)


def test_r_s2_clearing_submit_reads_its_file_as_strictly_as_the_api(cli: Cli) -> None:
    good = json.dumps(credit("MC1", ICBC, CCB, 100))
    files = {
        "a key named twice": (good[:-1] + ', "control_sum_fen": 100}').encode(),
        "NaN": good.replace('"amount_fen": 100', '"amount_fen": NaN').encode(),
        "a BOM": b"\xef\xbb\xbf" + good.encode(),
        "GBK": good.replace("张三", "张三").encode("gbk") if "张三" in good
        else good.encode("utf-16"),
        "UTF-16": good.encode("utf-16"),
        "nested": b"[" * 100_000 + b"]" * 100_000,
        "a 5,000-digit number": b'{"message_id": 1' + b"0" * 5_000 + b"}",
        "XML named .json": b"<Document/>",
        "a PDF named .json": b"%PDF-1.4\n",
        "empty": b"",
        "a list": b"[]",
    }
    problems = [_refused_by_cli(cli, "submit", _file(cli, "package.json", content))
                for content in files.values()]
    problems = [f"{name}: {p}" for name, p in zip(files, problems, strict=True) if p]
    assert not problems, "\n".join(problems)
    assert cli.run("submit", _file(cli, "ok.json", good.encode())).exit_code == 0


def test_r_s9_clearing_day_end_refuses_a_malformed_reports_file_by_name(cli: Cli) -> None:
    for content in (b"{", b"\xff\xfe{}", b"\xef\xbb\xbf{}", b'{"a": 1, "a": 2}',
                    ('{"' + ICBC + '": {"sent_count": "１"}}').encode(), b"[]",
                    b'{"' + ICBC.encode() + b'": NaN}', "{}".encode("utf-16")):
        problem = _refused_by_cli(cli, "day-end", "--date", "2026-12-06", "--reports",
                                  _file(cli, "reports.json", content))
        assert problem is None, (content, problem)


@pytest.mark.parametrize("value", ["5_000", "+5", " 5 ", "５", arabic_indic("5"), "0x10",
                                   "1e3", "5.0", "-1", "99999999999999999999999", "", "\x00"])
def test_r_s3_clearing_cap_refuses_a_haircut_python_int_would_take(cli: Cli,
                                                                    value: str) -> None:
    problem = _refused_by_cli(cli, "cap", ICBC, "--haircut-bps", value)
    assert problem is None, problem


@pytest.mark.parametrize("sessions", ["１０:００", "10:00+08:00", "10:00:00.5", "10:00:00",
                                      "25:00", "10:00,10:00", "\x00", "10", "t10:00"])
def test_r_s5_clearing_init_refuses_session_times_not_written_hh_mm(
        tmp_path: Path, sessions: str) -> None:
    url = f"sqlite:///{tmp_path}/init.db"
    upgrade(make_engine(url))
    result = runner.invoke(app, ["--database-url", url, "clearing", "init", "--date",
                                 "2026-12-07", "--sessions", sessions])
    assert result.exit_code == 2 and "field_invalid" in result.output, result.output


@pytest.mark.parametrize("args", [
    ("fund", ICBC, "--request-no", "F1", "--amount", "1.001"),
    ("fund", ICBC, "--request-no", "F1", "--amount", "１００"),
    ("fund", ICBC, "--request-no", "F1", "--amount", "NaN"),
    ("fund", ICBC, "--request-no", "F1\x00", "--amount", "1.00"),
    ("fund", full_width(ICBC), "--request-no", "F1", "--amount", "1.00"),
    ("earmark", ICBC, "--request-no", "E1", "--amount", "-1"),
    ("participant", "9" * 12, "--name", "x" * 500),
    ("participant", "9" * 12, "--name", "n", "--role", "npc"),
    ("answer", "x" * 300, "-b", CCB, "--paid"),
    ("queue", "--bank", "garbage\x00"),
    ("revoke", "--sender", ICBC, "--message-id", "M\x00", "-b", ICBC),
    ("day-end", "--date", "2026-02-30"), ("day-end", "--date", "9999-12-31"),
    ("statement", "-b", ICBC, "--date", "２０２６-12-07", "--out", "/tmp/never.xml"),
    ("receipts", "-b", arabic_indic(ICBC), "--out", "/tmp/never.xml"),
    ("reverse", "\ud800", "-b", ICBC), ("return", ICBC + ":M1:1", "-b", ABC),
    ("statement", "-b", ICBC, "--date", "2026-12-07", "--out", "/nonexistent/d/s.xml"),
    ("receipts", "-b", ICBC, "--out", "/nonexistent/d/r.xml"),
])
def test_r_s2_clearing_commands_refuse_hostile_options(cli: Cli, args: tuple[str, ...]) -> None:
    problem = _refused_by_cli(cli, *args)
    assert problem is None, problem


def test_the_helpers_day_is_the_system_day() -> None:
    assert DAY.isoformat() == "2026-12-07"


def test_r_s10_clearing_submit_xml_refuses_hostile_messages_by_name(cli: Cli) -> None:
    """A DOCTYPE with an entity used to crash the whole command (a segfault in lxml)."""
    from tests.clearing.unit.test_hostile_commands import BODY, ENTITIES, GOOD, NOT_UTF8

    files = {**{f"entity: {k}": v for k, v in ENTITIES.items()},
             **{f"encoding: {k}": v for k, v in NOT_UTF8.items()},
             "truncated": GOOD[: len(GOOD) // 2], "a PDF named .xml": b"%PDF-1.4\n",
             "JSON named .xml": json.dumps(credit("MX", ICBC, CCB, 1)).encode(),
             "two documents": GOOD + BODY}
    problems = [f"{name}: {p}" for name, content in files.items()
                if (p := _refused_by_cli(cli, "submit-xml", _file(cli, "m.xml", content),
                                         "-b", ICBC))]
    assert not problems, "\n".join(problems)
