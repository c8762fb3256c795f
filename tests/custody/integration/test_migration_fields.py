"""Issue 18: MigrationService answers hostile input with results, never exceptions.

Driven with arbitrary Python values, ``stage``, ``cancel``, ``fund``, ``approve`` and
``reject`` raised ``FieldInvalid``/``CustodyError`` (a malformed migration id, amount,
operator or reason), TypeError and AttributeError (files that are not a mapping of names to
bytes, a progress that cannot be called), OverflowError, IntegrityError, ProgrammingError and
UnicodeEncodeError (a tenant id or migration id of another type reaching the database), or
recorded the refusal under a hostile tenant; a malformed request no. came back
``field_invalid`` without naming the field; a file refused whole (a NUL in a cell, a wrong
header) was raised. Each is now a ``CustodyResult``: ``field_invalid`` naming the field, or
the file's code with its file, line and reason — neither run nor recorded, so the serial no.
(and the migration id) serve the corrected request.
"""

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import httpx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from cunguan.core import limits
from cunguan.core.errors import CunguanError
from cunguan.custody.handlers.base import CustodyResult
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.handlers.migration import MigrationService
from cunguan.custody.rules import migration as rules
from cunguan.custody.rules.schedules import Method, owes_nothing, schedule
from cunguan.custody.store.tables import (
    custody_migration_rows,
    custody_migrations,
    custody_requests,
)
from cunguan.ledger.store.tables import fund_log
from tests.api_helpers import Api, api_for
from tests.conftest import fresh_engine
from tests.custody.integration.test_migration import (
    CHECKER,
    FILES,
    MAKER,
    TOTAL_FEN,
    USERS,
    csv_bytes,
)
from tests.custody_helpers import PLATFORM, services

#: Values of other types than the field's, that once reached the database or the parser.
OTHER_TYPES: list[Any] = [0, 2**63, -(2**63), True, 1.5, float("nan"), Decimal("1"),
                          Decimal("sNaN"), Fraction(1, 3), None, [], [1], {}, {"a": 1}, (),
                          b"", b"P2P", bytearray(b"1")]
TENANTS_NOT = [*OTHER_TYPES, "", " ", "P2P\x00", "\ud800", "ｐ2p", "a b",
               "x" * (limits.tenant_id_length_max + 1)]
MIGRATION_IDS_NOT = [*OTHER_TYPES, "", "a b", "a#b", "a/b", "\x00", "\x07", "\ud800", "１２３",
                     "x" * (limits.migration_id_length_max + 1)]
REQUEST_NOS_NOT = [*OTHER_TYPES, "", " ", "a b", "\x00", "\ud800", "line\nbreak",
                   "x" * (limits.request_no_length_max + 1)]
AMOUNTS_NOT = [0, -1, True, False, 1.5, 100.0, float("nan"), Decimal("100"), "100", None,
               limits.amount_fen_max + 1, 2**63, [100], b"100"]
OPERATORS_NOT = [5, True, None, 1.5, b"alice", [], "", " ", "\n", "\x00", "alice\x00",
                 "line\nbreak", "\ud800", "x" * (limits.operator_length_max + 1)]
REASONS_NOT = [5, None, b"why", "", "\t", "\x07", "\x1b[31m红", "\ud800",
               "x" * (limits.reason_length_max + 1)]
USERS_FILE = csv_bytes(USERS[:2])
FILES_NOT: list[Any] = [
    None, 5, 1.5, "users", b"users", [1], [b"a"], (), {}, {"users": None}, {"users": 5},
    {"users": "user_id,role"}, {"users": [b"a"]}, {"users": bytearray(USERS_FILE)},
    {None: b""}, {b"users": USERS_FILE}, {"projects": csv_bytes([["project_id"]])},
    {"users": USERS_FILE, "bogus": b""}, {"users": USERS_FILE, ("users",): b""}]
PROGRESS_NOT = [5, True, "print", b"x", 1.5, [print]]

#: The valid arguments of each command, on a world with MIG1 staged and MIG2 not.
VALID: dict[str, dict[str, Any]] = {
    "stage": {"tenant_id": PLATFORM, "migration_id": "MIG2", "files": {"users": USERS_FILE}},
    "cancel": {"tenant_id": PLATFORM, "request_no": "cx-1", "migration_id": "MIG1"},
    "fund": {"tenant_id": PLATFORM, "request_no": "in-1", "migration_id": "MIG1",
             "amount_fen": TOTAL_FEN},
    "approve": {"tenant_id": PLATFORM, "request_no": "ap-1", "migration_id": "MIG1",
                "operator": MAKER},
    "reject": {"tenant_id": PLATFORM, "request_no": "rj-1", "migration_id": "MIG1",
               "operator": MAKER, "reason": "wrong files"},
}
STEPS = ("cancel", "fund", "approve", "reject")
CASES = [
    *((name, "tenant_id", TENANTS_NOT) for name in VALID),
    *((name, "migration_id", MIGRATION_IDS_NOT) for name in VALID),
    *((name, "request_no", REQUEST_NOS_NOT) for name in STEPS),
    ("stage", "files", FILES_NOT), ("stage", "progress", PROGRESS_NOT),
    ("fund", "amount_fen", AMOUNTS_NOT),
    ("approve", "operator", OPERATORS_NOT), ("reject", "operator", OPERATORS_NOT),
    ("reject", "reason", REASONS_NOT),
]


def _state(engine: Engine) -> tuple[int, ...]:
    """Rows of everything a migration step writes: requests (and their events' source),
    migrations, their rows, postings."""
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (custody_requests, custody_migrations,
                                   custody_migration_rows, fund_log))


def _problem(command: Callable[..., Any], args: dict[str, Any], field: str) -> str | None:
    """What is wrong with the answer to a call that must be refused ``field_invalid``
    naming ``field``, or None."""
    try:
        answer = command(**args)
    except CunguanError as exc:
        return f"raised {type(exc).__name__}({exc.code})"
    except Exception as exc:
        return f"raised {type(exc).__name__}: {str(exc)[:80]}"
    if not isinstance(answer, CustodyResult):
        return f"answered {answer!r}"
    if answer.ok or answer.code != "field_invalid":
        return f"answered {answer.code}"
    if answer.data.get("field") != field:
        return f"field_invalid naming {answer.data.get('field')!r}"
    return None


@pytest.fixture
def lite() -> Iterator[Engine]:
    """SQLite alone for the long lists: what is refused is decided before the database is
    touched (the tests taking ``engine`` run on both backends)."""
    with fresh_engine("sqlite", label="migration-fields") as eng:
        yield eng


def _staged(engine: Engine) -> tuple[LendingService, MigrationService]:
    custody = services(engine)[0]
    migration = MigrationService(custody)
    assert migration.stage(PLATFORM, "MIG1", FILES).ok
    return custody, migration


@pytest.mark.parametrize(("name", "field", "values"),
                         [pytest.param(n, f, v, id=f"{n}-{f}") for n, f, v in CASES])
def test_a_malformed_field_is_answered_field_invalid_naming_it_and_nothing_recorded(
        lite: Engine, name: str, field: str, values: list[Any]) -> None:
    _, migration = _staged(lite)
    before = _state(lite)
    failures = []
    for value in values:
        args = {**VALID[name], field: value}
        problem = _problem(getattr(migration, name), args, field)
        if problem is None and _state(lite) != before:
            problem = "recorded or posted"
        if problem:
            failures.append(f"{value!r}: {problem}")
    assert not failures, f"{name}.{field}:\n  " + "\n  ".join(failures)
    # nothing was recorded: the serial no. (and the migration id) serve the valid request
    assert getattr(migration, name)(**VALID[name]).ok


@pytest.mark.parametrize("name", list(VALID))
def test_a_hostile_tenant_is_refused_on_both_backends(engine: Engine, name: str) -> None:
    """PostgreSQL took None, NaN, Decimal, a list and a lone surrogate to the driver."""
    _, migration = _staged(engine)
    before = _state(engine)
    for value in (None, float("nan"), Decimal("1"), [1], "\ud800", 2**63, "P2P\x00"):
        problem = _problem(getattr(migration, name), {**VALID[name], "tenant_id": value},
                           "tenant_id")
        assert problem is None, f"{value!r}: {problem}"
    assert _state(engine) == before


@pytest.mark.parametrize("read", ["view", "report"])
def test_a_read_refuses_a_malformed_key_by_name_never_a_driver_error(
        lite: Engine, read: str) -> None:
    """``view`` and ``report`` raise their refusals (``migration_not_found``), but 2**63, a
    lone surrogate or a list reached the driver: OverflowError, UnicodeEncodeError,
    ProgrammingError."""
    _, migration = _staged(lite)
    failures = []
    for field, values in (("tenant_id", TENANTS_NOT), ("migration_id", MIGRATION_IDS_NOT)):
        for value in values:
            args = {"tenant_id": PLATFORM, "migration_id": "MIG1", field: value}
            try:
                getattr(migration, read)(**args)
                failures.append(f"{field}={value!r}: answered")
            except CunguanError as exc:
                if (exc.code, exc.details.get("field")) != ("field_invalid", field):
                    failures.append(f"{field}={value!r}: {exc.code}")
            except Exception as exc:
                failures.append(f"{field}={value!r}: raised {type(exc).__name__}")
    assert not failures, "\n".join(failures)
    assert getattr(migration, read)(PLATFORM, "MIG1")


def test_the_maker_and_checker_are_compared_as_normalized(engine: Engine) -> None:
    """``"alice "`` was another operator than ``"alice"``: the check normalized the name but
    the command compared and stored it as sent, so one operator was maker and checker."""
    _, migration = _staged(engine)
    assert migration.fund(PLATFORM, "in-1", "MIG1", TOTAL_FEN).ok
    assert migration.approve(PLATFORM, "ap-1", "MIG1", "alice").ok
    again = migration.approve(PLATFORM, "ap-2", "MIG1", " alice\n")
    assert again.code == "checker_is_maker", again
    assert migration.view(PLATFORM, "MIG1", operator=True)["maker"] == "alice"
    assert migration.approve(PLATFORM, "ap-3", "MIG1", CHECKER).ok


# -- files refused whole: a result naming the file, the line and the reason ----------------
def _user_row(name: str) -> list[str]:
    return [*USERS[1][:2], name, *USERS[1][3:]]


@pytest.mark.parametrize("cell", ["张\x00一", "\x07", "\x1b[31m张一", "张一\x7f", "\x85"],
                         ids=repr)
def test_a_control_character_in_a_cell_refuses_the_file_whole_as_a_result(
        engine: Engine, cell: str) -> None:
    """A bank reads a file with a control character as a damaged export, not as a row with a
    bad name: the file is refused whole, naming the line, and nothing is staged; the platform
    sends the file again, corrected, under the same migration id."""
    custody = services(engine)[0]
    migration = MigrationService(custody)
    before = _state(engine)
    bad = csv_bytes([USERS[0], USERS[2], _user_row(cell), USERS[3]])
    refused = migration.stage(PLATFORM, "MIGC", {"users": bad})
    assert (refused.ok, refused.code) == (False, "file_invalid"), refused
    assert (refused.data["file"], refused.data["line"]) == ("users", 3)
    assert "control character U+" in refused.data["reason"]
    assert _state(engine) == before
    assert migration.stage(PLATFORM, "MIGC", {"users": csv_bytes(USERS)}).ok


def test_a_lone_surrogate_in_a_cell_refuses_the_file_as_a_result(engine: Engine) -> None:
    """A UTF-8 file with one bad sequence (a lone surrogate's bytes) was read as GBK, and
    staged with every Chinese name turned into other characters: it is a damaged UTF-8
    file, refused whole naming its line."""
    custody = services(engine)[0]
    migration = MigrationService(custody)
    before = _state(engine)
    out = io.StringIO()
    csv.writer(out).writerows([USERS[0], USERS[2], _user_row("张\ud800"), *USERS[3:]])
    bad = out.getvalue().encode("utf-8", "surrogatepass")
    refused = migration.stage(PLATFORM, "MIGS", {"users": bad})
    assert (refused.ok, refused.code) == (False, "file_encoding_invalid"), refused
    assert (refused.data["file"], refused.data["line"]) == ("users", 3)
    assert _state(engine) == before


#: GB2312's Chinese characters (rows 16-87), what a GBK users file is mostly made of.
_HANZI = [ch for hi in range(0xB0, 0xF8) for lo in range(0xA1, 0xFF)
          if (ch := bytes([hi, lo]).decode("gb2312", errors="ignore"))]
_NAMES = st.lists(st.text(st.sampled_from(_HANZI), min_size=1, max_size=4), min_size=1,
                  max_size=20)


def _file_text(names: list[str]) -> str:
    return "user_id,name\r\n" + "".join(f"u{n},{name}\r\n" for n, name in enumerate(names))


@settings(max_examples=300, deadline=None)
@given(names=_NAMES)
def test_a_gbk_file_is_read_as_gbk_never_refused_as_damaged_utf8(names: list[str]) -> None:
    data = _file_text(names).encode("gbk")
    try:
        data.decode("utf-8")
        assume(False)   # GBK bytes that happen to be UTF-8 throughout: not this rule's case
    except UnicodeDecodeError:
        pass
    assert rules.decode(data, "users") == (_file_text(names), "gbk")


@settings(max_examples=300, deadline=None)
@given(names=_NAMES, where=st.floats(0, 1), bad=st.sampled_from(
    [b"\xff", b"\xc3", b"\xe5\xbc", b"\xed\xa0\x80", b"\x80"]))
def test_a_utf8_file_with_a_damaged_sequence_is_refused_not_read_as_gbk(
        names: list[str], where: float, bad: bytes) -> None:
    """Before, such a file was read as GBK when GBK could decode it: every name staged as
    other Chinese characters."""
    text = _file_text(names)
    assume(sum(len(name) for name in names) >= 4)   # a users file has a name a row
    at = round(where * len(text))
    data = text[:at].encode() + bad + text[at:].encode()
    with pytest.raises(rules.FileRefused) as refused:
        rules.decode(data, "users")
    assert refused.value.code == "file_encoding_invalid"
    assert refused.value.line == text.count("\n", 0, at) + 1


def test_a_wrong_header_or_a_ragged_row_is_a_result(lite: Engine) -> None:
    custody = services(lite)[0]
    migration = MigrationService(custody)
    header = migration.stage(PLATFORM, "H", {"users": csv_bytes([["user_id", "nom"]])})
    ragged = migration.stage(PLATFORM, "R", {"users": csv_bytes([*USERS[:2], ["m9"]])})
    empty = migration.stage(PLATFORM, "E", {"users": b""})
    assert [(r.ok, r.code, r.data["line"]) for r in (header, ragged, empty)] == [
        (False, "header_invalid", 1), (False, "file_invalid", 3), (False, "header_invalid", 1)]
    assert header.request_no == "stage:H"


# -- 0.00 installments of an imported project -----------------------------------------------
def test_r_c12_an_imported_projects_0_00_installments_are_paid_at_import(
        engine: Engine) -> None:
    """Interest-first at rate 0: the months before the last owe nothing. Lending writes them
    paid; the import wrote them due, waiting for a repayment of 0.00."""
    custody = services(engine)[0]
    migration = MigrationService(custody)
    projects = [FILES_PROJECT_HEADER,
                ["Z1", "m2", "3.00", "0", "3", "interest_first", "2026-05-23", "0"]]
    plan = schedule(300, "0", 3, Method.INTEREST_FIRST, start=date(2026, 5, 23))
    assert [owes_nothing(i) for i in plan] == [True, True, False]
    claims = [["claim_id", "project_id", "holder_user_id", "principal", "outstanding"],
              ["CZ1", "Z1", "m1", "3.00", "3.00"]]   # a project comes with its claims
    files = {"users": csv_bytes(USERS), "projects": csv_bytes(projects),
             "claims": csv_bytes(claims)}
    assert migration.stage(PLATFORM, "MIGZ", files).ok
    assert migration.fund(PLATFORM, "in-z", "MIGZ", TOTAL_FEN).ok
    assert migration.approve(PLATFORM, "ap-z1", "MIGZ", MAKER).ok
    assert migration.approve(PLATFORM, "ap-z2", "MIGZ", CHECKER).ok
    rows = custody.schedule(PLATFORM, "Z1")
    assert [(r["period"], r["status"]) for r in rows] == [(1, "paid"), (2, "paid"),
                                                          (3, "due")], rows


FILES_PROJECT_HEADER = ["project_id", "borrower_user_id", "amount", "annual_rate", "months",
                        "method", "lent_on", "periods_paid"]


# -- over HTTP: the same refusals ------------------------------------------------------------
@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as found:
        yield found


def test_http_migration_endpoints_answer_422_field_invalid_naming_the_field(api: Api) -> None:
    p2p = api.onboard("P2P")
    users = ("users.csv", csv_bytes(USERS))
    bogus = p2p.upload("/v1/migrations/M1", {"users": users, "bogus": ("b.csv", b"x")})
    assert (bogus.status, bogus.body["code"]) == (422, "field_invalid"), bogus.body
    assert bogus.body["details"]["field"] == "files"
    long_id = "x" * (limits.migration_id_length_max + 1)
    too_long = p2p.upload(f"/v1/migrations/{long_id}", {"users": users})
    assert (too_long.status, too_long.body["details"].get("field")) == (422, "migration_id")
    cancel = p2p.post("/v1/migrations/a@b/cancel", {"request_no": "cx-1"})
    assert (cancel.status, cancel.body["code"]) == (422, "field_invalid"), cancel.body
    assert cancel.body["details"]["field"] == "migration_id"
    base = "/v1/operator/platforms/P2P/migrations/a@b"
    for path, body in ((f"{base}/fundings", {"request_no": "in-1", "amount_fen": 100}),
                       (f"{base}/approve", {"request_no": "ap-1"}),
                       (f"{base}/reject", {"request_no": "rj-1", "reason": "no"})):
        answer = api.operator.post(path, body)
        assert (answer.status, answer.body["details"].get("field")) == (
            422, "migration_id"), (path, answer.body)
    for extra in ({"data": {"projects": "OLD1,m2"}}, {"files": [("users", users)] * 2}):
        built = httpx.Request("POST", "http://upload/v1/migrations/M3", **({
            "files": {"users": users}} | extra))   # type: ignore[arg-type]
        odd = p2p._send("POST", "/v1/migrations/M3", built.read(),
                        built.headers["Content-Type"])
        assert (odd.status, odd.body["details"].get("field")) == (422, "files"), odd.body
    nul = p2p.upload("/v1/migrations/M2", {"users": ("users.csv", csv_bytes(
        [USERS[0], _user_row("张\x00一")]))})
    assert (nul.status, nul.body["code"], nul.body["details"]["line"]) == (
        422, "file_invalid", 2), nul.body
    assert p2p.upload("/v1/migrations/M2", {"users": users}).status == 200
