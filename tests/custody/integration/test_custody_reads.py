"""The Python service API reads a project, its schedule, its claims and a withdrawal
(custody_reads.CustodyReads on LendingService), inside the caller's platform only."""

import pytest
from sqlalchemy import Engine

from cunguan.custody.rules.refusals import CustodyError
from tests.custody_helpers import PASSWORD, PLATFORM, icbc_card, lent_project, services


def test_service_reads_a_lent_project_its_schedule_claims_and_a_withdrawal(
        engine: Engine) -> None:
    custody, _ledger, _days, _clock = services(engine)
    lenders = lent_project(custody)
    assert custody.withdraw(PLATFORM, "W-1", lenders[0], icbc_card(2), 50_000,
                            password=PASSWORD).ok

    project = custody.project(PLATFORM, "P1")
    assert (project["project_id"], project["amount_fen"], project["raised_fen"]) == (
        "P1", 1_000_000, 1_000_000)
    plan = custody.schedule(PLATFORM, "P1")
    assert [row["period"] for row in plan] == [1, 2, 3]
    assert sum(row["principal_fen"] for row in plan) == 1_000_000
    claims = custody.project_claims(PLATFORM, "P1")
    assert sorted(c["holder_user_id"] for c in claims) == sorted(lenders)
    assert sum(c["outstanding_fen"] for c in claims) == 1_000_000
    withdrawal = custody.withdrawal(PLATFORM, "W-1")
    assert withdrawal["amount_fen"] == 50_000
    assert icbc_card(2) not in str(withdrawal)          # the card no. is masked

    for read, missing in ((lambda: custody.project("OTHER", "P1"), "project_not_found"),
                          (lambda: custody.schedule(PLATFORM, "P9"), "project_not_found"),
                          (lambda: custody.project_claims(PLATFORM, "P9"), "project_not_found"),
                          (lambda: custody.withdrawal(PLATFORM, "W-9"), "withdrawal_not_found")):
        with pytest.raises(CustodyError) as refused:
            read()
        assert refused.value.code == missing
