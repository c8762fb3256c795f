"""A migrated project's claims add up to it (R-C20, custody/rules/migration.py): the rule, and
what it guarantees — the settlements of the installments left close every claim exactly."""

import dataclasses
from datetime import date

from hypothesis import assume, given
from hypothesis import strategies as st

from cunguan.core.money import split_pro_rata
from cunguan.custody.rules import migration as rules
from cunguan.custody.rules.repayments import shares_fen
from cunguan.custody.rules.schedules import Installment, Method


@dataclasses.dataclass(frozen=True)
class _Charged:
    principal_fen: int
    interest_fen: int
    penalty_fen: int = 0


@st.composite
def _migrated(draw: st.DrawFn) -> tuple[rules.ProjectRow, list[rules.ClaimRow]]:
    """A project and claims that reconcile: the amount split among 1 to 5 investors, the
    principal its schedule has left split among them pro rata."""
    months = draw(st.integers(1, 36))
    method = draw(st.sampled_from(list(Method)))
    amount_fen = draw(st.integers(1, 10_000_000))
    rate = draw(st.sampled_from(["0", "0.06", "0.12", "0.24"]))
    periods = 1 if method is Method.BULLET else months
    project = rules.ProjectRow("P", "b", amount_fen, rate, months, method, date(2026, 5, 23),
                               draw(st.integers(0, periods)))
    weights = draw(st.lists(st.integers(1, 1_000), min_size=1, max_size=5))
    principals = split_pro_rata(amount_fen, weights)
    assume(all(principals))
    left = split_pro_rata(rules.principal_left_fen(project), principals)
    claims = [rules.ClaimRow(f"C{n}", "P", f"u{n}", p, o)
              for n, (p, o) in enumerate(zip(principals, left, strict=True))]
    return project, claims


def _settled(project: rules.ProjectRow, claims: list[rules.ClaimRow]) -> list[int]:
    """Each claim's outstanding after the installments left are settled as custody settles
    them (``shares_fen``: the last pays each claim its outstanding), never below 0."""
    plan: list[Installment] = rules.project_schedule(project)
    paid = [_Charged(i.principal_fen, i.interest_fen) for i in plan[:project.periods_paid]]
    for n, due in enumerate(plan[project.periods_paid:], start=project.periods_paid + 1):
        charged = _Charged(due.principal_fen, due.interest_fen)
        shares = shares_fen(charged, claims, paid, last=n == len(plan))
        claims = [dataclasses.replace(c, outstanding_fen=c.outstanding_fen - principal)
                  for c, (principal, _) in zip(claims, shares, strict=True)]
        assert all(c.outstanding_fen >= 0 for c in claims), (n, claims)
        paid.append(charged)
    return [c.outstanding_fen for c in claims]


@given(_migrated())
def test_r_c20_claims_that_reconcile_are_imported_and_closed_by_the_last_settlement(
        migrated: tuple[rules.ProjectRow, list[rules.ClaimRow]]) -> None:
    project, claims = migrated
    numbered = list(enumerate(claims, start=2))
    assert rules.unreconciled([(2, project)], numbered) == []
    assert _settled(project, claims) == [0] * len(claims)


@given(_migrated(), st.data())
def test_r_c20_a_fen_off_in_any_claim_refuses_the_project_and_all_its_claims(
        migrated: tuple[rules.ProjectRow, list[rules.ClaimRow]], data: st.DataObject) -> None:
    project, claims = migrated
    index = data.draw(st.integers(0, len(claims) - 1))
    field = data.draw(st.sampled_from(["principal_fen", "outstanding_fen"]))
    delta = data.draw(st.integers(-5, 5).filter(bool))
    claims[index] = dataclasses.replace(
        claims[index], **{field: getattr(claims[index], field) + delta})
    refused = rules.unreconciled([(2, project)], list(enumerate(claims, start=2)))
    assert [(file, line) for file, line, _ in refused] == [
        ("projects", 2), *(("claims", n) for n in range(2, 2 + len(claims)))]
    assert refused[0][2] == rules.reconciliation_refusal(project, claims)


def test_r_c20_the_reviewers_project_is_refused_naming_the_sums() -> None:
    project = rules.ProjectRow("OLD1", "m2", 10_000, "0.12", 2, Method.EQUAL_PRINCIPAL,
                               date(2026, 5, 23), 0)
    claims = [rules.ClaimRow("C1", "OLD1", "m1", 10_000, 10_000),
              rules.ClaimRow("C2", "OLD1", "m3", 10_000, 10_000)]
    assert rules.reconciliation_refusal(project, claims) == (
        "project OLD1: claims' principal 20000 fen, amount 10000 fen; claims' outstanding "
        "20000 fen, schedule's principal left 10000 fen after 0 period(s) paid")
    orphan = rules.ClaimRow("C3", "ELSEWHERE", "m1", 100, 100)
    assert rules.unreconciled([], [(5, orphan)]) == [
        ("claims", 5, "project ELSEWHERE is not imported by this migration: a project's "
                      "claims are imported with it")]
