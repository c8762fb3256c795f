"""Repayments (R-C12, R-C13): an installment frozen in the borrower's account (with any overdue
penalty), or everything still owed at once (early repayment); the frozen installment settled
to the investors pro rata to their claims, with their interest coupons; or compensation (代偿)
by the guarantor or the risk reserve, who then hold a recourse claim on the borrower."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cunguan.core.errors import CunguanError
from cunguan.custody.handlers.base import (
    CustodyResult,
    Data,
    Gate,
    Planned,
    attempt,
    checked,
    set_based,
)
from cunguan.custody.handlers.lending_commands import ProjectStep
from cunguan.custody.handlers.plans import Plans
from cunguan.custody.handlers.project_steps import need_project
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import repayments
from cunguan.custody.rules.bids import ProjectStatus
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import claims as claim_rows
from cunguan.custody.store import installments as installment_rows
from cunguan.custody.store import lookups
from cunguan.custody.store import projects as project_rows
from cunguan.db.connection import Connection, read_connection
from cunguan.ledger.model import CompoundTransfer, Freeze, Payee, Posting, Result, Settle, Side


@dataclass
class _Settled:
    """What settlements write once posted, set-based: claims (outstanding, status, coupon
    left), installments paid, projects settled; and what re-invests in plan holdings."""

    claims: list[Data] = field(default_factory=list)
    installments: list[Data] = field(default_factory=list)
    settled_projects: list[str] = field(default_factory=list)
    reinvest: list[tuple[str, list[Any], list[tuple[int, int]]]] = field(default_factory=list)

    def write(self, conn: Connection, tenant_id: str) -> None:
        claim_rows.set_many(conn, tenant_id, self.claims)
        installment_rows.set_many(conn, self.installments)
        project_rows.set_many(conn, tenant_id, [
            {"project_id": project_id, "status": ProjectStatus.SETTLED.value}
            for project_id in self.settled_projects])


class Repayments(Plans):
    """Repayments, their settlement and compensation; a settlement re-invests what it pays a
    finance plan's claims (``Plans``)."""

    penalty_daily_rate = repayments.PENALTY_DAILY_RATE_DEFAULT
    early_interest_rule = "current"   # one of repayments.EARLY_INTEREST_RULES

    # -- repayments (R-C12, R-C13) ---------------------------------------------------------
    @checked()
    def repay(self, tenant_id: str, request_no: str, project_id: str, *,
              password: str | None = None) -> CustodyResult:
        """Freeze the earliest unpaid installment with its overdue penalty (pre-processing)."""
        checked = self._borrower_password(tenant_id, project_id, password)
        if isinstance(checked, CustodyResult):
            return CustodyResult(request_no, False, checked.code, checked.message)
        return self.repays(tenant_id, [ProjectStep(request_no, project_id, bool(checked))])[0]

    @set_based(ProjectStep)
    def repays(self, tenant_id: str, steps: Sequence[ProjectStep],
               gate: Gate | None = None) -> list[CustodyResult]:
        """Many projects' installments frozen in one DB transaction, set-based, under the
        borrowers' standing authorizations (no passwords here); each answers as ``repay``
        would."""
        return self._steps_many(tenant_id, "repay", steps, self._repay, gate=gate)

    def _repay(self, conn: Connection, tenant_id: str,
               steps: Sequence[ProjectStep]) -> list[Data | CunguanError]:
        """Each distinct project's earliest unpaid installment frozen in the borrower's
        account."""
        ids = {s.project_id for s in steps}
        projects = project_rows.by_id(conn, tenant_id, ids, lock=True)
        schedules = installment_rows.of_projects(conn, tenant_id, ids)
        grants = lookups.authorizations(conn, tenant_id, "repay",
                                        {p.borrower_user_id for p in projects.values()})
        # no project, nothing is planned and the date goes unused
        day = self.accounting_date(conn, tenant_id) if projects else date.min
        frozen: list[Data] = []

        def plan(step: ProjectStep) -> Planned:
            project = repayments.repaying(need_project(projects, step.project_id))
            due = repayments.next_due(schedules.get(step.project_id, []))
            penalty_fen = self._penalty(due, day)
            total_fen = due.principal_fen + due.interest_fen + penalty_fen
            self.need_consent(grants, project.borrower_user_id, "repay", total_fen,
                              step.password_checked)

            def done(results: list[Result]) -> Data:
                frozen.append({"tenant_id": tenant_id, "project_id": step.project_id,
                               "period": due.period, "status": "frozen",
                               "hold_id": results[0].tx_id, "penalty_fen": penalty_fen})
                return {"period": due.period, "principal_fen": due.principal_fen,
                        "interest_fen": due.interest_fen, "penalty_fen": penalty_fen,
                        "hold_id": results[0].tx_id}
            return Planned([Freeze(
                step.request_no, chart.user_account_no(project.borrower_user_id), total_fen,
                f"repayment {step.project_id}/{due.period}", None, "repayment")], done)

        outcomes = self.post_each(conn, tenant_id, [attempt(plan, s) for s in steps])
        if frozen:
            installment_rows.set_many(conn, frozen)
        return outcomes

    @checked()
    def repay_early(self, tenant_id: str, request_no: str, project_id: str, *,
                    password: str | None = None) -> CustodyResult:
        """Freeze everything still owed: remaining principal, interest by the configured rule,
        any penalty. The later installments are marked prepaid; settling pays the investors
        and closes every claim."""
        checked = self._borrower_password(tenant_id, project_id, password)
        if isinstance(checked, CustodyResult):
            return CustodyResult(request_no, False, checked.code, checked.message)

        def work(conn: Connection) -> Data:
            project, due = self._repaying(conn, tenant_id, project_id)
            rest = self._unpaid(conn, tenant_id, project_id)
            interest_fen = repayments.early_interest_fen(self.early_interest_rule, due, rest)
            principal_fen = sum(r.principal_fen for r in rest)
            penalty_fen = self._penalty(due, self.accounting_date(conn, tenant_id))
            total_fen = principal_fen + interest_fen + penalty_fen
            borrower = project.borrower_user_id
            grants = lookups.authorizations(conn, tenant_id, "repay", {borrower})
            self.need_consent(grants, borrower, "repay", total_fen, bool(checked))
            hold = self.post(conn, tenant_id, [Freeze(
                request_no, chart.user_account_no(project.borrower_user_id), total_fen,
                f"early repayment {project_id}", None, "early_repayment")])[0]
            for later in rest[1:]:
                self._set_installment(conn, tenant_id, project_id, later.period,
                                      status="prepaid")
            self._set_installment(conn, tenant_id, project_id, due.period, status="frozen",
                                  hold_id=hold.tx_id, principal_fen=principal_fen,
                                  interest_fen=interest_fen, penalty_fen=penalty_fen)
            return {"period": due.period, "principal_fen": principal_fen,
                    "interest_fen": interest_fen, "penalty_fen": penalty_fen,
                    "rule": self.early_interest_rule}
        return self.command(tenant_id, request_no, "repay_early", {"project": project_id},
                            work)

    def _unpaid(self, conn: Connection, tenant_id: str, project_id: str) -> list[Any]:
        """The installments still to repay (``_owed``), in period order."""
        return repayments.owed(installment_rows.of_project(conn, tenant_id, project_id))

    def _repaying(self, conn: Connection, tenant_id: str, project_id: str
                  ) -> tuple[Any, Any]:
        """The project (locked) and its earliest unpaid installment, if it is being repaid."""
        project = repayments.repaying(self._project(conn, tenant_id, project_id))
        return project, repayments.next_due(self._unpaid(conn, tenant_id, project_id))

    def _borrower_password(self, tenant_id: str, project_id: str,
                           password: str | None) -> bool | CustodyResult:
        """The borrower's password step for a repayment (see ``_password_step``)."""
        project = self._read_project(tenant_id, project_id)
        if project is None:
            return False  # the command itself answers project_not_found
        return self._password_step(tenant_id, project.borrower_user_id, password)

    def _read_project(self, tenant_id: str, project_id: str) -> Any:
        with read_connection(self.engine) as conn:
            return project_rows.one(conn, tenant_id, project_id)

    def _penalty(self, due: Any, day: date) -> int:
        return repayments.overdue_penalty_fen(due, day, self.penalty_daily_rate)

    def _set_installment(self, conn: Connection, tenant_id: str, project_id: str,
                         period: int, **values: Any) -> None:
        installment_rows.set_one(conn, tenant_id, project_id, period, **values)

    @checked()
    def settle_repayment(self, tenant_id: str, request_no: str,
                         project_id: str) -> CustodyResult:
        """The batch step: the frozen installment goes to the investors, each by their share;
        the last installment closes every claim exactly (R-C12, R-C13)."""
        return self.settle_repayments(tenant_id, [ProjectStep(request_no, project_id)])[0]

    @set_based(ProjectStep)
    def settle_repayments(self, tenant_id: str, steps: Sequence[ProjectStep],
                          gate: Gate | None = None) -> list[CustodyResult]:
        """Many projects' frozen installments settled in one DB transaction, set-based (a
        repayment window's batch); each answers as ``settle_repayment`` would."""
        return self._steps_many(tenant_id, "settle_repayment", steps, self._settle,
                                gate=gate)

    def _settle(self, conn: Connection, tenant_id: str,
                steps: Sequence[ProjectStep]) -> list[Data | CunguanError]:
        """Settlement of distinct projects, each one chain: the installment's hold to the
        investors and the month's coupon interest from the marketing account. A project some
        of whose claims belong to finance-plan holdings re-invests what it pays them, which
        posts again on what the settlement paid: it runs on its own, after the others."""
        ids = {s.project_id for s in steps}
        projects = project_rows.by_id(conn, tenant_id, ids, lock=True)
        schedules = installment_rows.of_projects(conn, tenant_id, ids)
        claims = claim_rows.investment_of(conn, tenant_id, ids)
        held = {s.project_id for s in steps
                if any(c.holding_id for c in claims.get(s.project_id, []))}
        writes = _Settled()

        def plan(step: ProjectStep, into: _Settled) -> Planned:
            need_project(projects, step.project_id)
            rows = schedules.get(step.project_id, [])
            unpaid = repayments.owed(rows)
            due = next((i for i in unpaid if i.status == "frozen"), None)
            if due is None:
                raise CustodyError(Refusal.NOTHING_FROZEN, "no installment waits for settlement")
            return self._plan_settlement(tenant_id, step, due, rows,
                                         claims.get(step.project_id, []),
                                         last=len(unpaid) == 1, into=into)

        plain = [s for s in steps if s.project_id not in held]
        answers = dict(zip([s.request_no for s in plain], self.post_each(
            conn, tenant_id, [attempt(lambda s: plan(s, writes), s) for s in plain]),
            strict=True))
        writes.write(conn, tenant_id)
        for step in steps:
            if step.project_id in held:
                answers[step.request_no] = self._settle_held(conn, tenant_id, step, plan)
        return [answers[s.request_no] for s in steps]

    def _settle_held(self, conn: Connection, tenant_id: str, step: ProjectStep,
                     plan: Callable[[ProjectStep, _Settled], Planned]
                     ) -> Data | CunguanError:
        """One settlement whose investors include finance-plan holdings, in a savepoint: a
        refusal of the re-investment undoes the settlement with it."""
        try:
            with conn.begin_nested():
                writes = _Settled()
                planned = plan(step, writes)
                data = planned.done(self.post(conn, tenant_id, planned.commands))
                writes.write(conn, tenant_id)
                for request_no, claims, parts in writes.reinvest:
                    self._reinvest(conn, tenant_id, request_no, claims, parts)
                return data
        except CunguanError as exc:
            return exc

    def _plan_settlement(self, tenant_id: str, step: ProjectStep, due: Any,
                         installments: list[Any], claims: list[Any], *, last: bool,
                         into: _Settled) -> Planned:
        """``installments``: the project's whole schedule; ``claims``: every investment claim
        of the project, closed ones too (they keep their weight in the split)."""
        parts = repayments.shares_fen(due, claims, repayments.paid(installments), last=last)
        payees = tuple(Payee(chart.user_account_no(c.holder_user_id), sum(p))
                       for c, p in zip(claims, parts, strict=True) if sum(p))
        coupons, coupon_left = repayments.coupon_moves(
            step.request_no, repayments.open_claims(claims), last=last)

        def done(_: list[Result]) -> Data:
            for claim, (principal_fen, _income) in zip(claims, parts, strict=True):
                if claim.status not in repayments.OPEN_CLAIM:
                    continue
                left = claim.outstanding_fen - principal_fen
                into.claims.append({
                    "claim_id": claim.claim_id,
                    "outstanding_fen": left, "status": claim.status if left else "closed",
                    "coupon_due_fen": coupon_left.get(claim.claim_id, claim.coupon_due_fen)})
            into.installments += [{"tenant_id": tenant_id, "project_id": step.project_id,
                                   "period": period, "status": "paid", "hold_id": None,
                                   "penalty_fen": 0}
                                  for period in repayments.owing_nothing(installments)]
            into.installments.append({"tenant_id": tenant_id, "project_id": step.project_id,
                                      "period": due.period, "status": "paid",
                                      "hold_id": due.hold_id, "penalty_fen": due.penalty_fen})
            if last:
                into.settled_projects.append(step.project_id)
            into.reinvest.append((step.request_no, claims, parts))
            return {"period": due.period, "investors": len(payees),
                    "paid_fen": sum(p.amount_fen for p in payees)}
        return Planned([Settle(step.request_no, due.hold_id, payees, "repayment"), *coupons],
                       done)

    # -- compensation (代偿, R-C13) ---------------------------------------------------------
    @checked()
    def compensate(self, tenant_id: str, request_no: str, project_id: str,
                   payer: str) -> CustodyResult:
        """The guarantor or the risk reserve pays the earliest unpaid installment to the
        investors; the payer gets a recourse claim on the borrower for what it paid."""
        if payer not in ("guarantor", "risk_reserve"):
            return CustodyResult(request_no, False, Refusal.FIELD_INVALID,
                                 "guarantor or risk_reserve")

        def work(conn: Connection) -> Data:
            project, due = self._repaying(conn, tenant_id, project_id)
            if payer == "guarantor" and project.guarantor_user_id is None:
                raise CustodyError(Refusal.NO_GUARANTOR, "the project has no guarantor")
            day = self.accounting_date(conn, tenant_id)
            due_with_penalty = repayments.Due(due.principal_fen, due.interest_fen,
                                              self._penalty(due, day))
            holder, account_no = ((project.guarantor_user_id,
                                   chart.user_account_no(project.guarantor_user_id))
                                  if payer == "guarantor" else ("RISK", chart.RISK_RESERVE))
            claims = claim_rows.of_project(conn, tenant_id, project_id, open_only=False)
            rows = installment_rows.of_project(conn, tenant_id, project_id)
            last = len(repayments.owed(rows)) == 1
            parts = repayments.shares_fen(due_with_penalty, claims, repayments.paid(rows),
                                          last=last)
            legs = [Posting(chart.user_account_no(c.holder_user_id), Side.CREDIT, sum(p))
                    for c, p in zip(claims, parts, strict=True) if sum(p)]
            total_fen = sum(leg.amount_fen for leg in legs)
            self.post(conn, tenant_id, [CompoundTransfer(
                request_no, (Posting(account_no, Side.DEBIT, total_fen), *legs),
                "compensation")])
            opened = [(c, p[0]) for c, p in zip(claims, parts, strict=True)
                      if c.status in repayments.OPEN_CLAIM]
            claim_rows.repay_principal(conn, tenant_id, [c for c, _ in opened],
                                       [p for _, p in opened])
            for period in repayments.owing_nothing(rows):   # R-C12: 0.00 installments owe nothing
                self._set_installment(conn, tenant_id, project_id, period, status="paid")
            self._set_installment(conn, tenant_id, project_id, due.period, status="paid",
                                  penalty_fen=due_with_penalty.penalty_fen)
            claim_rows.insert_one(
                conn, tenant_id=tenant_id, claim_id=request_no, project_id=project_id,
                holder_user_id=holder, principal_fen=total_fen, outstanding_fen=total_fen,
                status="holding", kind="recourse")
            if last:
                self._set_project(conn, tenant_id, project_id,
                                  status=ProjectStatus.SETTLED.value)
            return {"period": due.period, "paid_fen": total_fen, "recourse_claim": request_no}
        return self.command(tenant_id, request_no, "compensate",
                            {"project": project_id, "payer": payer}, work)
