"""R-C22: each platform's daily reconciliation file — every fund-log line of its accounts on a
closed day and no other platform's, control totals that add up, signed with the platform's
key, the same bytes every time; an open day refused. On SQLite and PostgreSQL, in Python, over
HTTP with the signed client, and by the CLI."""

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cunguan.client import verify_file
from cunguan.core import signing
from cunguan.core.fields import FieldInvalid
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.rules import accounts as chart
from cunguan.ledger.service import LedgerService
from cunguan.platform.cli.main import app as cli
from cunguan.platform.day_service import DayService
from cunguan.reconcile.handlers.platform_files import PlatformFile, platform_file
from cunguan.reconcile.rules import platform_files as rules
from cunguan.reconcile.rules.refusals import ReconcileError
from tests.api_helpers import Api, api_for
from tests.custody_helpers import MONDAY, PASSWORD, PLATFORM, icbc_card, open_user, services

OTHER = "OTHER"
KEY = ("k-p2p", "platform-secret")


def _business(custody: LendingService) -> None:
    """A day of the platform's: recharges, a paid withdrawal with a fee, one still held, a
    red packet; and another platform's money moving the same day."""
    user = open_user(custody, 1, recharge_fen=500_000)
    other = open_user(custody, 2, recharge_fen=80_000)
    for no, amount in (("wd-1", 100_000), ("wd-2", 50_000)):
        assert custody.withdraw(PLATFORM, no, user, icbc_card(1), amount,
                                password=PASSWORD).ok
    assert custody.channel_result(PLATFORM, "ch-1", "wd-1", succeeded=True).ok
    assert custody.red_packet(PLATFORM, "rp-1", other, 1_234).ok
    custody.onboard_platform(OTHER, "Another platform", MONDAY)
    assert custody.fund_platform(OTHER, "other-fund", chart.OWN, 777).ok


def _parse(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def _ledger_lines(ledger: LedgerService, tenant_id: str, day: date) -> set[tuple[str, int]]:
    return {(a.account_no, line.entry_seq) for a in ledger.accounts(tenant_id)
            for line in ledger.fund_log(tenant_id, a.account_no, date_from=day, date_to=day)}


def _check_totals(made: PlatformFile) -> None:
    """Every control total of the file adds up from its own lines."""
    rows = _parse(made.content)
    assert rows[0] == ["H", "CGRF", "1", made.tenant_id, made.business_date.isoformat(),
                       "CNY", "fen"]
    details = [r for r in rows if r[0] == "D"]
    postings = [r for r in details if r[7] == "posting"]
    credits = sum(int(r[9]) for r in postings if r[8] == "credit")
    debits = sum(int(r[9]) for r in postings if r[8] == "debit")
    assert rows[-1] == ["T", str(len(details)), str(len(postings)), str(credits), str(debits),
                        str(sum(1 for r in rows if r[0] == "A"))]
    assert credits == debits > 0
    for a in (r for r in rows if r[0] == "A"):
        mine = [r for r in postings if r[1] == a[1]]
        moved = sum(int(r[9]) if {"debit": "D", "credit": "C"}[r[8]] == a[2] else -int(r[9])
                    for r in mine)
        assert int(a[3]) + moved == int(a[7])             # opening + movement = closing
        assert int(a[5]) == sum(int(r[9]) for r in mine if r[8] == "debit")
        assert int(a[6]) == sum(int(r[9]) for r in mine if r[8] == "credit")
        assert int(a[9]) == sum(1 for r in details if r[1] == a[1])


def test_r_c22_closed_day_file_lists_the_platforms_lines_signed_and_same_twice(
        engine: Engine) -> None:
    custody, ledger, days, clock = services(engine)
    _business(custody)
    clock.advance(timedelta(days=1))
    assert days.close(PLATFORM).closed and days.close(OTHER).closed
    assert custody.recharge(PLATFORM, "rc-tuesday", "u0001", icbc_card(1), 9_999,
                            password=PASSWORD).ok   # the open day: never in Monday's file
    made = platform_file(engine, clock, PLATFORM, "2026-11-23", KEY)
    rows = _parse(made.content)
    listed = {(r[1], int(r[2])) for r in rows if r[0] == "D"}
    assert listed == _ledger_lines(ledger, PLATFORM, MONDAY)
    requests = {r[6] for r in rows if r[0] == "D"}
    assert {"rc-u0001", "wd-1", "wd-2", "rp-1"} <= requests
    assert not requests & {"other-fund", "rc-tuesday"}
    _check_totals(made)
    closing = {r[1]: int(r[7]) for r in rows if r[0] == "A"}
    assert closing == {no: ledger.balance_at(PLATFORM, no, MONDAY) for no in closing}
    text = rules.signature_text(MONDAY, made.timestamp, made.nonce, made.content)
    assert signing.verify(text, signing.HMAC_SHA256, KEY[1], made.signature)
    assert not signing.verify(text, signing.HMAC_SHA256, "another key", made.signature)
    clock.advance(timedelta(hours=5))
    again = platform_file(engine, clock, PLATFORM, MONDAY, KEY)
    assert again.content == made.content and again.signature == made.signature
    assert again.sha256 == made.sha256 == made.headers()[rules.HEADER_FILE_SHA256]
    other = platform_file(engine, clock, OTHER, MONDAY, ("k-other", "other-secret"))
    assert {r[6] for r in _parse(other.content) if r[0] == "D"} == {"other-fund"}


def test_r_c22_open_day_and_bad_requests_are_refused_by_name(engine: Engine) -> None:
    custody, _, days, clock = services(engine)
    _business(custody)
    with pytest.raises(ReconcileError) as open_day:
        platform_file(engine, clock, PLATFORM, MONDAY, KEY)
    assert open_day.value.code == "day_not_closed"
    assert open_day.value.details == {"business_date": "2026-11-23", "status": "open"}
    clock.advance(timedelta(days=1))
    assert days.close(PLATFORM).closed
    for day in (MONDAY + timedelta(days=1), MONDAY - timedelta(days=1)):
        with pytest.raises(ReconcileError) as refused:
            platform_file(engine, clock, PLATFORM, day, KEY)
        assert refused.value.code == "day_not_closed"
    with pytest.raises(ReconcileError) as unknown:
        platform_file(engine, clock, "NOBODY", MONDAY, KEY)
    assert unknown.value.code == "tenant_not_found"
    with pytest.raises(ReconcileError) as keyless:
        platform_file(engine, clock, PLATFORM, MONDAY, None)
    assert keyless.value.code == "platform_key_missing"
    for bad in ("2026-11-32", "２０２６-11-23", "2026-11-23\x00", "", True, 20261123):
        with pytest.raises(FieldInvalid):
            platform_file(engine, clock, PLATFORM, bad, KEY)
    for bad_tenant in ("P2P\x00", "P 2 P", 7):
        with pytest.raises(FieldInvalid):
            platform_file(engine, clock, bad_tenant, MONDAY, KEY)


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as found:
        yield found


def test_r_c22_platform_fetches_its_signed_file_over_http(api: Api) -> None:
    client = api.onboard(PLATFORM)
    other = api.onboard(OTHER)
    _http_business(api)
    path = "/v1/reconciliation-files/2026-11-23"
    refused = client.get(path)
    assert (refused.status, refused.body["code"]) == (422, "day_not_closed")
    days = DayService(api.bank.engine, clock=api.clock)
    api.clock.advance(timedelta(days=1))
    assert days.close(PLATFORM).closed and days.close(OTHER).closed
    answer = client.get(path)
    assert answer.status == 200 and answer.signed
    assert answer.headers["content-type"].startswith("text/csv")
    assert verify_file(client.secret, path, answer.headers, answer.body)
    assert not verify_file(other.secret, path, answer.headers, answer.body)
    assert not verify_file(client.secret, path, answer.headers, answer.body + b"\r\n")
    rows = _parse(answer.body)
    assert rows[0][3] == PLATFORM
    assert {(r[1], int(r[2])) for r in rows if r[0] == "D"} == _ledger_lines(
        api.bank.ledger, PLATFORM, MONDAY)
    assert "other-rc" not in {r[6] for r in rows if r[0] == "D"}
    assert client.get(path).body == answer.body
    theirs = other.get(path)
    assert theirs.status == 200 and _parse(theirs.body)[0][3] == OTHER
    assert verify_file(other.secret, path, theirs.headers, theirs.body)
    assert client.get("/v1/reconciliation-files/23-11-2026").body["code"] == "field_invalid"
    by_operator = api.operator.get(f"/v1/operator/platforms/{PLATFORM}{path[3:]}")
    assert by_operator.status == 200 and by_operator.body == answer.body
    assert client.get(f"/v1/operator/platforms/{PLATFORM}{path[3:]}").status == 403


def _http_business(api: Api) -> None:
    for tenant, seq, no in ((PLATFORM, 1, "rc-1"), (OTHER, 2, "other-rc")):
        user = api.open_user(tenant, seq)
        assert api.bank.custody.recharge(tenant, no, user, icbc_card(seq), 50_000,
                                         password=PASSWORD).ok


def test_r_c22_cli_writes_the_file_and_its_signature(api: Api, tmp_path: Path) -> None:
    api.onboard(PLATFORM)
    api.onboard(OTHER)
    _http_business(api)
    api.clock.advance(timedelta(days=1))
    assert DayService(api.bank.engine, clock=api.clock).close(PLATFORM).closed
    url = str(api.bank.engine.url.render_as_string(hide_password=False))
    out = f"{tmp_path}/p2p.csv"
    ran = CliRunner().invoke(cli, ["--database-url", url, "reconcile", "platform-file",
                                   "--platform", PLATFORM, "--date", "2026-11-23",
                                   "--out", out])
    assert ran.exit_code == 0, ran.output
    content = Path(out).read_bytes()
    made = platform_file(api.bank.engine, api.clock, PLATFORM, MONDAY,
                         api.bank.access.platform_secret(PLATFORM))
    assert content == made.content
    signature = dict(line.split(": ", 1)
                     for line in Path(f"{out}.sig").read_text("utf-8").splitlines())
    assert signature[rules.HEADER_FILE_SIGNATURE] == made.signature
    to_stdout = CliRunner().invoke(cli, ["--database-url", url, "reconcile", "platform-file",
                                         "--platform", PLATFORM, "--date", "2026-11-23",
                                         "--out", "-"])
    assert to_stdout.exit_code == 0 and to_stdout.stdout_bytes == made.content
    assert f"{rules.HEADER_FILE_SIGNATURE}: {made.signature}" in to_stdout.stderr
    refused = CliRunner().invoke(cli, ["--database-url", url, "reconcile", "platform-file",
                                       "--platform", PLATFORM, "--date", "2026-11-24",
                                       "--out", out])
    assert refused.exit_code == 1 and "day_not_closed" in refused.output
