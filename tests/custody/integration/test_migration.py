"""Migration of an existing platform (R-C20): staged files, funding that arrived, a maker and
a different checker; cleansing, one outcome per row, replays; encodings and headers."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update

from cunguan.core.errors import CunguanError
from cunguan.custody.handlers.lending_service import LendingService, ProjectStep
from cunguan.custody.handlers.migration import MigrationService, write_report
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import migration as rules
from cunguan.custody.rules.refusals import CustodyError
from cunguan.custody.store.tables import custody_migration_rows, custody_users
from tests.api_helpers import Api, api_for
from tests.custody_helpers import (
    PASSWORD,
    PLATFORM,
    icbc_card,
    open_user,
    resident_id,
    services,
)

USERS = [
    ["user_id", "role", "name", "id_kind", "id_no", "mobile", "card_no", "balance"],
    ["m1", "lender", "张一", "resident_id", resident_id(31), "13800000031", icbc_card(31),
     "1,000.00"],
    ["m2", "borrower", "张二", "resident_id", resident_id(32), "13800000032", icbc_card(32),
     "0"],
    ["m3", "lender", "John", "passport", "E7654321", "13800000033", icbc_card(33), "50.00"],
    ["m4", "lender", "小孩", "resident_id", resident_id(34, birth="20150101"), "13800000034",
     icbc_card(34), "10.00"],
    ["m5", "lender", "张五", "resident_id", resident_id(35), "13800000035", "6222021234", "20"],
    ["m6", "lender", "", "resident_id", resident_id(36), "13800000036", icbc_card(36), "5"],
    ["m7", "lender", "张七", "resident_id", resident_id(31), "13800000037", icbc_card(37), "5"],
]
#: Accepted users' balances: m1 1,000.00 + m3 50.00 + m5 20.00.
TOTAL_FEN = 107_000
PROJECTS = [["project_id", "borrower_user_id", "amount", "annual_rate", "months", "method",
             "lent_on", "periods_paid"],
            ["OLD1", "m2", "10,000.00", "0.12", "12", "equal_installment", "2026-05-23", "6"],
            ["OLD2", "nobody", "1.00", "0.12", "12", "bullet", "2026-05-23", "0"]]
CLAIMS = [["claim_id", "project_id", "holder_user_id", "principal", "outstanding"],
          ["C1", "OLD1", "m1", "10,000.00", "5,149.20"]]   # what the schedule has left
MAKER, CHECKER = "op-maker", "op-checker"


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


FILES = {"users": csv_bytes(USERS), "projects": csv_bytes(PROJECTS),
         "claims": csv_bytes(CLAIMS)}


def _balances(custody: LendingService) -> dict[str, int]:
    return {a.account_no: a.balance_fen for a in custody.ledger.accounts(PLATFORM)}


@pytest.fixture
def custody(engine: Engine) -> LendingService:
    return services(engine)[0]


def test_r_c20_staging_credits_nothing_and_reports_every_row(custody: LendingService) -> None:
    migration = MigrationService(custody)
    before = _balances(custody)
    staged = migration.stage(PLATFORM, "MIG1", FILES)
    assert staged.ok, staged
    assert _balances(custody) == before   # no user, no account, no money
    view = migration.view(PLATFORM, "MIG1")
    assert (view["status"], view["users_count"], view["balance_total_fen"],
            view["projects_count"], view["claims_count"], view["funded_fen"]) == (
        "staged", 4, TOTAL_FEN, 1, 1, 0)
    outcomes = {(r.file, r.key): (r.outcome, r.code) for r in migration.report(PLATFORM, "MIG1")}
    assert len(outcomes) == len(USERS) - 1 + len(PROJECTS) - 1 + len(CLAIMS) - 1
    assert outcomes[("users", "m1")] == ("opened", "ok")
    assert outcomes[("users", "m3")] == ("manual_review", "ok")
    assert outcomes[("users", "m4")] == ("rejected", "under_age")
    assert outcomes[("users", "m5")] == ("card_to_replace", "ok")
    assert outcomes[("users", "m6")] == ("rejected", "missing_elements")
    assert outcomes[("users", "m7")] == ("rejected", "person_has_account")
    assert outcomes[("projects", "OLD1")] == ("imported", "ok")
    assert outcomes[("projects", "OLD2")] == ("rejected", "user_not_found")
    assert outcomes[("claims", "C1")] == ("imported", "ok")
    with pytest.raises(CunguanError) as found:   # no user, no account was opened
        custody.ledger.account(PLATFORM, chart.user_account_no("m1"))
    assert found.value.code == "account_not_found"


def _staged_and_funded(custody: LendingService, funded_fen: int = TOTAL_FEN
                       ) -> MigrationService:
    migration = MigrationService(custody)
    assert migration.stage(PLATFORM, "MIG1", FILES).ok
    if funded_fen:
        assert migration.fund(PLATFORM, "bank-in-1", "MIG1", funded_fen).ok
    return migration


def test_r_c20_maker_and_checker_with_the_funding_credit_the_users_and_the_day_closes(
        engine: Engine, tmp_path: Any) -> None:
    custody, ledger, days, clock = services(engine)
    summary_before = ledger.account(PLATFORM, chart.SUMMARY).balance_fen
    migration = _staged_and_funded(custody)
    assert ledger.account(PLATFORM, chart.SUMMARY).balance_fen == summary_before + TOTAL_FEN
    maker = migration.approve(PLATFORM, "ap-1", "MIG1", MAKER)
    assert (maker.ok, maker.data["status"]) == (True, "maker_approved")
    assert ledger.account(PLATFORM, rules.CLEARING).balance_fen == TOTAL_FEN
    checker = migration.approve(PLATFORM, "ap-2", "MIG1", CHECKER)
    assert checker.ok, checker
    assert checker.data == {"migration_id": "MIG1", "status": "applied", "users": 4,
                            "projects": 1, "claims": 1, "credited_fen": TOTAL_FEN}
    assert ledger.account(PLATFORM, chart.user_account_no("m1")).balance_fen == 100_000
    assert ledger.account(PLATFORM, chart.user_account_no("m5")).balance_fen == 2_000
    assert ledger.account(PLATFORM, rules.CLEARING).balance_fen == 0
    assert ledger.account(PLATFORM, chart.SUMMARY).balance_fen == summary_before + TOTAL_FEN
    assert custody.outstanding(PLATFORM, "OLD1")[1] > 0
    view = migration.view(PLATFORM, "MIG1", operator=True)
    assert (view["status"], view["maker"], view["checker"]) == ("applied", MAKER, CHECKER)
    write_report(migration.report(PLATFORM, "MIG1"), tmp_path / "report.csv")
    assert len((tmp_path / "report.csv").read_text().splitlines()) == 1 + 7 + 2 + 1
    clock.advance(timedelta(days=1))   # the day has ended (R-L7)
    closed = days.close(PLATFORM)
    assert closed.closed, closed   # trial balance, continuity and R-C1 all pass


def test_r_c20_every_step_replays_by_its_request_no(custody: LendingService) -> None:
    migration = _staged_and_funded(custody)
    assert migration.approve(PLATFORM, "ap-1", "MIG1", MAKER).ok
    assert migration.approve(PLATFORM, "ap-2", "MIG1", CHECKER).ok
    after = _balances(custody)
    again = [migration.stage(PLATFORM, "MIG1", FILES),
             migration.fund(PLATFORM, "bank-in-1", "MIG1", TOTAL_FEN),
             migration.approve(PLATFORM, "ap-1", "MIG1", MAKER),
             migration.approve(PLATFORM, "ap-2", "MIG1", CHECKER)]
    assert all(r.ok and r.replayed for r in again), again
    assert _balances(custody) == after
    other = migration.stage(PLATFORM, "MIG1", {"users": csv_bytes(USERS[:2])})
    assert other.code == "duplicate_with_different_content"
    late = migration.fund(PLATFORM, "bank-in-2", "MIG1", 1)
    assert late.code == "migration_wrong_state"
    assert _balances(custody) == after


def test_r_c20_the_checker_must_be_another_operator(custody: LendingService) -> None:
    migration = _staged_and_funded(custody)
    before = _balances(custody)
    assert migration.approve(PLATFORM, "ap-1", "MIG1", MAKER).ok
    same = migration.approve(PLATFORM, "ap-2", "MIG1", MAKER)
    assert same.code == "checker_is_maker"
    assert _balances(custody) == before
    assert migration.view(PLATFORM, "MIG1")["status"] == "maker_approved"
    assert migration.approve(PLATFORM, "ap-3", "MIG1", CHECKER).ok


@pytest.mark.parametrize(("funded_fen", "code"), [
    (0, "migration_funding_short"), (TOTAL_FEN - 1, "migration_funding_short"),
    (TOTAL_FEN + 1, "migration_funding_over")])
def test_r_c20_funding_short_or_over_refuses_the_checker(custody: LendingService,
                                                         funded_fen: int, code: str) -> None:
    migration = _staged_and_funded(custody, funded_fen)
    before = _balances(custody)
    assert migration.approve(PLATFORM, "ap-1", "MIG1", MAKER).ok
    refused = migration.approve(PLATFORM, "ap-2", "MIG1", CHECKER)
    assert (refused.ok, refused.code) == (False, code)
    assert refused.data["funded_fen"] == funded_fen
    assert _balances(custody) == before
    if funded_fen < TOTAL_FEN:   # the rest arrives: a new approval passes
        assert migration.fund(PLATFORM, "bank-in-2", "MIG1", TOTAL_FEN - funded_fen).ok
        assert migration.approve(PLATFORM, "ap-3", "MIG1", CHECKER).ok


def test_r_c20_rejection_returns_the_funding_and_cancel_needs_none(
        engine: Engine) -> None:
    custody, ledger, days, clock = services(engine)
    summary_before = ledger.account(PLATFORM, chart.SUMMARY).balance_fen
    migration = _staged_and_funded(custody, TOTAL_FEN + 5)
    assert migration.cancel(PLATFORM, "cx-1", "MIG1").code == "migration_funded"
    rejected = migration.reject(PLATFORM, "rj-1", "MIG1", MAKER, "over-funded")
    assert (rejected.ok, rejected.data["returned_fen"]) == (True, TOTAL_FEN + 5)
    assert ledger.account(PLATFORM, chart.SUMMARY).balance_fen == summary_before
    assert ledger.account(PLATFORM, rules.CLEARING).balance_fen == 0
    assert migration.approve(PLATFORM, "ap-1", "MIG1", MAKER).code == "migration_wrong_state"
    assert migration.stage(PLATFORM, "MIG2", FILES).ok
    assert migration.cancel(PLATFORM, "cx-2", "MIG2").ok
    assert migration.view(PLATFORM, "MIG2")["status"] == "cancelled"
    clock.advance(timedelta(days=1))   # the day has ended (R-L7)
    assert days.close(PLATFORM).closed


def test_r_c20_rows_taken_since_staging_refuse_the_approval_whole(
        custody: LendingService) -> None:
    migration = _staged_and_funded(custody)
    assert migration.approve(PLATFORM, "ap-1", "MIG1", MAKER).ok
    open_user(custody, 900)   # a user opened since staging binds m1's card
    assert custody.bind_card(PLATFORM, "bind-x", "u0900", icbc_card(31)).ok
    before = _balances(custody)
    refused = migration.approve(PLATFORM, "ap-2", "MIG1", CHECKER)
    assert refused.code == "migration_conflict"
    assert refused.data["file"] == "users" and refused.data["line"] == 2
    assert _balances(custody) == before


def test_r_c20_activation_sets_the_password_and_replaces_the_card(
        custody: LendingService) -> None:
    migration = _staged_and_funded(custody)
    assert migration.approve(PLATFORM, "ap-1", "MIG1", MAKER).ok
    assert migration.approve(PLATFORM, "ap-2", "MIG1", CHECKER).ok
    assert custody.red_packet(PLATFORM, "rp-0", "m1", 1).code == "user_not_active"
    assert custody.activate_user(PLATFORM, "act-5", "m5", PASSWORD).code == "card_required"
    assert custody.activate_user(PLATFORM, "act-5b", "m5", PASSWORD, icbc_card(55)).ok
    assert custody.activate_user(PLATFORM, "act-1", "m1", PASSWORD).ok
    assert custody.withdraw(PLATFORM, "wd-1", "m1", icbc_card(31), 10_000,
                            password=PASSWORD).ok
    assert custody.approve_user(PLATFORM, "ap-3", "m3").data["status"] == "pending_activation"


# -- files: encodings and headers ----------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_r_c20_files_in_utf8_gbk_and_gb18030_are_read_alike(custody: LendingService,
                                                            encoding: str) -> None:
    name = "张㐀" if encoding in ("utf-8", "utf-8-sig", "gb18030") else "张一"  # 㐀: not GBK
    rows = [USERS[0], ["g1", "lender", name, "resident_id", resident_id(41), "13800000041",
                       icbc_card(41), "12.34"]]
    migration = MigrationService(custody)
    assert migration.stage(PLATFORM, "G", {"users": csv_bytes(rows, encoding)}).ok
    assert migration.view(PLATFORM, "G")["balance_total_fen"] == 1_234
    assert migration.fund(PLATFORM, "in-g", "G", 1_234).ok
    assert migration.approve(PLATFORM, "a1", "G", MAKER).ok
    assert migration.approve(PLATFORM, "a2", "G", CHECKER).ok
    assert custody.request_status(PLATFORM, "a2") is not None
    with custody.engine.connect() as conn:
        stored = conn.execute(custody_users.select().where(
            custody_users.c.user_id == "g1")).one()
    assert stored.name == name


def test_r_c20_a_file_in_no_accepted_encoding_is_refused_with_its_line() -> None:
    bad = csv_bytes(USERS[:2]) + b"m9,lender,\xff\xfe\xfd,resident_id\n"
    with pytest.raises(rules.FileRefused) as found:
        rules.read_rows(bad, "users")
    assert (found.value.code, found.value.line) == ("file_encoding_invalid", 3)
    with pytest.raises(rules.FileRefused) as utf16:
        rules.read_rows(",".join(USERS[0]).encode("utf-16"), "users")
    assert utf16.value.code == "file_encoding_invalid"


@pytest.mark.parametrize(("header", "reason"), [
    (["user_id", "role", "name", "id_kind", "id_no", "mobile", "card_no", "balanse"],
     "unknown column(s) balanse; missing column(s) balance"),
    (["user_id", "role", "name", "id_kind", "id_no", "mobile", "card_no"],
     "missing column(s) balance"),
    (["user_id", "role", "name", "id_kind", "id_no", "mobile", "card_no", "balance", "role"],
     "repeated column(s) role")])
def test_r_c20_a_wrong_header_refuses_the_file_whole(custody: LendingService,
                                                     header: list[str], reason: str) -> None:
    migration = MigrationService(custody)
    found = migration.stage(PLATFORM, "H", {"users": csv_bytes([header, *USERS[1:]])})
    assert (found.ok, found.code) == (False, "header_invalid")
    assert found.data["line"] == 1
    assert found.data["reason"].startswith(reason)
    with pytest.raises(CustodyError):
        migration.view(PLATFORM, "H")   # nothing was staged


def test_r_c20_a_row_with_too_few_cells_refuses_the_file_whole(custody: LendingService
                                                               ) -> None:
    rows = [*USERS[:3], ["m9", "lender"], *USERS[3:]]
    found = MigrationService(custody).stage(PLATFORM, "R", {"users": csv_bytes(rows)})
    assert (found.ok, found.code, found.data["line"]) == (False, "file_invalid", 4)


# -- over the API: the attack, and the operators' steps ------------------------------------
@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as found:
        yield found


def _upload(client: Any, migration_id: str, rows: list[list[str]]) -> Any:
    return client.upload(f"/v1/migrations/{migration_id}",
                         {"users": ("users.csv", csv_bytes(rows))})


def test_r_c20_a_platforms_migration_file_creates_no_money(api: Api) -> None:
    """The attack: a platform's users file says 1,000,000.00; nothing arrived at the bank.
    Nothing is credited, the summary account is unchanged and no withdrawal gets it out."""
    p2p = api.onboard("P2P")
    summary = p2p.get("/v1/accounts/SUMMARY").body["balance_fen"]
    rows = [USERS[0], ["x1", "lender", "张一", "resident_id", resident_id(61), "13800000061",
                       icbc_card(61), "1,000,000.00"]]
    answer = _upload(p2p, "ATTACK", rows)
    assert answer.status == 200, answer.body
    custody = api.bank.custody    # the user activates on the bank's page and authorizes
    custody.activate_user("P2P", "act-x1", "x1", PASSWORD)
    custody.authorize("P2P", "auth-x1", "x1", ("withdraw",), 100_000_000,
                      api.clock() + timedelta(days=365), PASSWORD)
    withdrawal = p2p.post("/v1/withdrawals", {"request_no": "wd-x1", "user_id": "x1",
                                               "card_no": icbc_card(61),
                                               "amount_fen": 100_000_000})
    assert withdrawal.status != 200, withdrawal.body
    assert p2p.get("/v1/accounts/SUMMARY").body["balance_fen"] == summary
    account = p2p.get("/v1/accounts/U-x1")
    assert account.status == 404 or account.body["balance_fen"] == 0


def test_r_c20_over_http_two_operator_keys_approve_and_the_platform_reads_the_status(
        api: Api) -> None:
    p2p = api.onboard("P2P")
    staged = p2p.upload("/v1/migrations/MIG1", {
        name: (f"{name}.csv", data) for name, data in FILES.items()})
    assert staged.status == 200, staged.body
    assert (staged.body["status"], staged.body["balance_total_fen"]) == ("staged", TOTAL_FEN)
    assert len(staged.body["items"]) == 10
    again = p2p.upload("/v1/migrations/MIG1", {
        name: (f"{name}.csv", data) for name, data in FILES.items()})
    assert again.status == 200 and again.body["items"] == staged.body["items"]
    base = "/v1/operator/platforms/P2P/migrations/MIG1"
    assert p2p.post(f"{base}/approve", {"request_no": "p-1"}).status == 403
    assert api.operator.post(f"{base}/fundings", {"request_no": "in-1",
                                                  "amount_fen": TOTAL_FEN}).status == 200
    assert api.operator.post(f"{base}/approve", {"request_no": "ap-1"}).status == 200
    same = api.operator.post(f"{base}/approve", {"request_no": "ap-2"})
    assert (same.status, same.body["code"]) == (422, "checker_is_maker")
    issued = api.bank.access.issue("operator")
    checker = api.client(issued.key_id, issued.secret)
    applied = checker.post(f"{base}/approve", {"request_no": "ap-3"})
    assert (applied.status, applied.body["data"]["status"]) == (200, "applied"), applied.body
    assert p2p.get("/v1/migrations/MIG1").body["status"] == "applied"
    assert "maker" not in p2p.get("/v1/migrations/MIG1").body
    assert api.operator.get(base).body["checker"] == issued.key_id
    assert p2p.get("/v1/accounts/U-m1").body["balance_fen"] == 100_000
    events = [e["operation"] for e in p2p.get("/v1/events").body["items"]]
    assert {"migration_stage", "migration_funding", "migration_approve"} <= set(events)


def test_r_c20_a_wrong_header_over_http_is_refused_naming_the_line(api: Api) -> None:
    p2p = api.onboard("P2P")
    answer = _upload(p2p, "H", [["user_id", "name"], ["m1", "张一"]])
    assert (answer.status, answer.body["code"]) == (422, "header_invalid"), answer.body
    assert answer.body["details"]["line"] == 1
    gbk = p2p.upload("/v1/migrations/G", {"users": ("users.csv", csv_bytes(USERS, "gbk"))})
    assert gbk.status == 200, gbk.body


def test_r_c4_a_migrated_users_file_keeps_one_mobile_per_person_and_cards_normalized(
        custody: LendingService) -> None:
    """A repeated mobile in the users file is refused ``mobile_taken`` by row (it used to
    reach the unique index at approval), and a card typed in groups of four is stored as the
    bank compares it, so it cannot be bound again to another account."""
    spaced = " ".join(icbc_card(41)[i:i + 4] for i in range(0, 19, 4))
    rows = [USERS[0],
            ["n1", "lender", "李一", "resident_id", resident_id(41), "13900000041", spaced, "1"],
            ["n2", "lender", "李二", "resident_id", resident_id(42), "13900000041",
             icbc_card(42), "1"],
            ["n3", "lender", "李三", "resident_id", resident_id(43), "13900000043",
             icbc_card(41), "1"]]
    migration = MigrationService(custody)
    assert migration.stage(PLATFORM, "MIG-N", {"users": csv_bytes(rows)}).ok
    outcomes = {r.key: (r.outcome, r.code) for r in migration.report(PLATFORM, "MIG-N")}
    assert outcomes["n1"] == ("opened", "ok")
    assert outcomes["n2"] == ("rejected", "mobile_taken")
    assert outcomes["n3"] == ("card_to_replace", "ok")   # the same card, typed without spaces


# -- a project's claims add up to it (R-C20) -------------------------------------------------
#: m2, the borrower, brings 200.00 to repay with; m1 and m5 hold the claims.
_REPAYING_USERS = [USERS[0], [*USERS[2][:7], "200.00"], USERS[1], USERS[5]]
_REPAYING_TOTAL_FEN = 20_000 + 100_000 + 2_000
_PROJECT_HEADER = PROJECTS[0]
_CLAIM_HEADER = CLAIMS[0]


def _repaying_files(project: list[str], *claims: list[str]) -> dict[str, bytes]:
    return {"users": csv_bytes(_REPAYING_USERS),
            "projects": csv_bytes([_PROJECT_HEADER, project]),
            "claims": csv_bytes([_CLAIM_HEADER, *claims])}


def _applied(custody: LendingService, migration_id: str, files: dict[str, bytes]) -> Any:
    migration = MigrationService(custody)
    assert migration.stage(PLATFORM, migration_id, files).ok
    assert migration.fund(PLATFORM, f"in-{migration_id}", migration_id,
                          _REPAYING_TOTAL_FEN).ok
    assert migration.approve(PLATFORM, f"a1-{migration_id}", migration_id, MAKER).ok
    return migration.approve(PLATFORM, f"a2-{migration_id}", migration_id, CHECKER)


@pytest.mark.parametrize(("project", "claims", "sums"), [
    # the reviewer's file: 100.00 lent, claims of 100.00 and 100.00
    (["OLD9", "m2", "100.00", "0.12", "2", "equal_principal", "2026-05-23", "0"],
     [["C1", "OLD9", "m1", "100.00", "100.00"], ["C2", "OLD9", "m5", "100.00", "100.00"]],
     "claims' principal 20000 fen, amount 10000 fen; claims' outstanding 20000 fen, "
     "schedule's principal left 10000 fen after 0 period(s) paid"),
    # the principal adds up, but the outstanding ignores the period paid (50.00 left)
    (["OLD9", "m2", "100.00", "0.12", "2", "equal_principal", "2026-05-23", "1"],
     [["C1", "OLD9", "m1", "60.00", "60.00"], ["C2", "OLD9", "m5", "40.00", "40.00"]],
     "outstanding 10000 fen, schedule's principal left 5000 fen after 1 period(s) paid"),
    # a project without claims: no one would be repaid
    (["OLD9", "m2", "100.00", "0.12", "2", "equal_principal", "2026-05-23", "0"], [],
     "claims' principal 0 fen, amount 10000 fen")],
    ids=["claims-over-the-amount", "outstanding-off-the-schedule", "no-claims"])
def test_r_c20_a_project_whose_claims_do_not_add_up_is_refused_with_its_claims(
        custody: LendingService, project: list[str], claims: list[list[str]],
        sums: str) -> None:
    """Before, the reviewer's file was staged, funded and approved: the claims were owed
    20,000 fen of a 10,000-fen schedule, the last settlement failed settle_exceeds_hold and
    the borrower's repayment stayed frozen for ever."""
    migration = MigrationService(custody)
    assert migration.stage(PLATFORM, "MIG9", _repaying_files(project, *claims)).ok
    report = {(r.file, r.key): r for r in migration.report(PLATFORM, "MIG9")}
    refused = [report[("projects", "OLD9")], *(report[("claims", c[0])] for c in claims)]
    assert [(r.outcome, r.code) for r in refused] == [
        ("rejected", "claims_do_not_reconcile")] * len(refused)
    assert sums in refused[0].message
    view = migration.view(PLATFORM, "MIG9")
    assert (view["projects_count"], view["claims_count"]) == (0, 0)
    assert migration.fund(PLATFORM, "in-9", "MIG9", _REPAYING_TOTAL_FEN).ok
    assert migration.approve(PLATFORM, "a1-9", "MIG9", MAKER).ok
    assert migration.approve(PLATFORM, "a2-9", "MIG9", CHECKER).ok   # the users only
    assert custody.outstanding(PLATFORM, "OLD9") == (0, 0)   # no such project
    assert custody.repays(PLATFORM, [ProjectStep("rp-9", "OLD9", True)])[0].code == (
        "project_not_found")


def test_r_c20_a_claim_added_to_a_project_already_on_the_platform_is_refused(
        custody: LendingService) -> None:
    """Claims come with their project: one staged later for a project already imported would
    break that project's sums (before, it was imported)."""
    project = ["OLD9", "m2", "100.00", "0.12", "2", "equal_principal", "2026-05-23", "0"]
    assert _applied(custody, "MIG9", _repaying_files(
        project, ["C1", "OLD9", "m1", "100.00", "100.00"])).ok
    later = {"users": csv_bytes(USERS[:1]),
             "claims": csv_bytes([_CLAIM_HEADER, ["C8", "OLD9", "m5", "1.00", "1.00"]])}
    migration = MigrationService(custody)
    assert migration.stage(PLATFORM, "MIG10", later).ok
    (claim,) = [r for r in migration.report(PLATFORM, "MIG10") if r.file == "claims"]
    assert (claim.outcome, claim.code) == ("rejected", "claims_do_not_reconcile")
    assert "not imported by this migration" in claim.message
    assert custody.outstanding(PLATFORM, "OLD9") == (10_000, 10_000)


def test_r_c20_a_project_whose_claims_add_up_repays_to_the_end_and_settles(
        engine: Engine) -> None:
    """100.00 over three months, one period paid: 66.67 left, held as 40.00 and 26.67 of
    claims of 60.00 and 40.00. The borrower repays the two periods left, each is settled, and
    every claim closes exactly; the day closes."""
    custody, ledger, days, clock = services(engine)
    project = ["OLD9", "m2", "100.00", "0.12", "3", "equal_principal", "2026-05-23", "1"]
    applied = _applied(custody, "MIG9", _repaying_files(
        project, ["C1", "OLD9", "m1", "60.00", "40.00"], ["C2", "OLD9", "m5", "40.00",
                                                          "26.67"]))
    assert applied.ok and (applied.data["projects"], applied.data["claims"]) == (1, 2), applied
    assert custody.outstanding(PLATFORM, "OLD9") == (6_667, 6_667)
    before = {u: ledger.account(PLATFORM, chart.user_account_no(u)).balance_fen
              for u in ("m1", "m5")}
    for period in (2, 3):
        repaid = custody.repays(PLATFORM, [ProjectStep(f"rp-{period}", "OLD9", True)])[0]
        assert repaid.ok, repaid
        settled = custody.settle_repayments(PLATFORM, [ProjectStep(f"st-{period}", "OLD9")])[0]
        assert settled.ok, settled
    assert custody.outstanding(PLATFORM, "OLD9") == (0, 0)
    gained = {u: ledger.account(PLATFORM, chart.user_account_no(u)).balance_fen - before[u]
              for u in ("m1", "m5")}
    assert gained["m1"] >= 4_000 and gained["m5"] >= 2_667   # principal back, and interest
    assert gained["m1"] + gained["m5"] > 6_667
    clock.advance(timedelta(days=1))   # the day has ended (R-L7)
    assert days.close(PLATFORM).closed


def test_r_c20_the_checker_is_refused_claims_that_do_not_add_up(custody: LendingService
                                                                ) -> None:
    """A migration staged before the rule (here: its stored claim row made to say what the
    old staging let through) is checked again at the checker's approval and refused whole."""
    project = ["OLD9", "m2", "100.00", "0.12", "2", "equal_principal", "2026-05-23", "0"]
    migration = MigrationService(custody)
    assert migration.stage(PLATFORM, "MIG9", _repaying_files(
        project, ["C1", "OLD9", "m1", "100.00", "100.00"])).ok
    assert migration.fund(PLATFORM, "in-9", "MIG9", _REPAYING_TOTAL_FEN).ok
    assert migration.approve(PLATFORM, "a1-9", "MIG9", MAKER).ok
    rows = custody_migration_rows.c
    with custody.engine.begin() as conn:
        conn.execute(update(custody_migration_rows).where(
            rows.tenant_id == PLATFORM, rows.migration_id == "MIG9", rows.file == "claims"
        ).values(payload=json.dumps({"claim_id": "C1", "project_id": "OLD9",
                                     "holder_user_id": "m1", "principal_fen": 20_000,
                                     "outstanding_fen": 20_000})))
    before = _balances(custody)
    refused = migration.approve(PLATFORM, "a2-9", "MIG9", CHECKER)
    assert (refused.ok, refused.code) == (False, "claims_do_not_reconcile")
    assert (refused.data["file"], refused.data["line"]) == ("projects", 2)
    assert "claims' principal 20000 fen, amount 10000 fen" in refused.message
    assert _balances(custody) == before
    assert migration.view(PLATFORM, "MIG9")["status"] == "maker_approved"


# -- a funding names its payer and the statement's reference (finding 6) --------------------
def test_r_c20_a_funding_keeps_its_payer_and_reference_for_the_return(
        custody: LendingService) -> None:
    """The funding's request record and event carry the account the money came from and the
    statement's reference, so a rejection's return can be traced to the payer (before, fund
    took neither). Malformed ones are field_invalid naming the field, nothing posted."""
    migration = MigrationService(custody)
    assert migration.stage(PLATFORM, "MIG1", FILES).ok
    before = _balances(custody)
    for payer, ref, field in [("1234567", "FT-1", "payer_account_no"),
                              ("12345678x", "FT-1", "payer_account_no"),
                              ("１２３４５６７８", "FT-1", "payer_account_no"),
                              (12345678, "FT-1", "payer_account_no"),
                              ("12345678", "FT 1", "reference"),
                              ("12345678", "", "reference"),
                              ("12345678", "\ud800", "reference")]:
        bad = migration.fund(PLATFORM, "in-1", "MIG1", TOTAL_FEN, payer, ref)
        assert (bad.code, bad.message.split(":")[0]) == ("field_invalid", field), (payer, ref)
    assert _balances(custody) == before
    funded = migration.fund(PLATFORM, "in-1", "MIG1", TOTAL_FEN,
                            payer_account_no="6222 0212-3456 7890", reference="FT2026112301")
    assert funded.ok, funded
    source = {"payer_account_no": "6222021234567890", "reference": "FT2026112301"}
    assert source.items() <= funded.data.items()
    recorded = custody.request_status(PLATFORM, "in-1")
    assert recorded is not None and source.items() <= recorded["result"].items()
    other = migration.fund(PLATFORM, "in-1", "MIG1", TOTAL_FEN,
                           payer_account_no="6222021234567890", reference="FT-OTHER")
    assert other.code == "duplicate_with_different_content"
    assert migration.fund(PLATFORM, "in-2", "MIG1", 1).ok   # both stay optional
    rejected = migration.reject(PLATFORM, "rj-1", "MIG1", MAKER, "wrong files")
    assert rejected.ok and rejected.data["returned_fen"] == TOTAL_FEN + 1


def test_r_c20_over_http_a_funding_names_its_payer_and_reference(api: Api) -> None:
    p2p = api.onboard("P2P")
    assert p2p.upload("/v1/migrations/MIG1", {"users": ("users.csv", csv_bytes(USERS))}
                      ).status == 200
    base = "/v1/operator/platforms/P2P/migrations/MIG1/fundings"
    bad = api.operator.post(base, {"request_no": "in-1", "amount_fen": TOTAL_FEN,
                                   "payer_account_no": "12ab5678"})
    assert (bad.status, bad.body["details"].get("field")) == (422, "payer_account_no"), bad.body
    funded = api.operator.post(base, {"request_no": "in-1", "amount_fen": TOTAL_FEN,
                                      "payer_account_no": "6222021234567890",
                                      "reference": "FT2026112301"})
    assert funded.status == 200, funded.body
    assert (funded.body["data"]["payer_account_no"], funded.body["data"]["reference"]) == (
        "6222021234567890", "FT2026112301")
