"""Lending (R-C10, R-C12): a full project lent in one linked batch — every bid hold settled to
the borrower, investment red packets from the marketing account, the service fee to the fee
account — then its claims and repayment schedule written (0.00 installments paid at once).
Also the bank's own batch items (lending or settling), run as the set-based calls run them."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from cunguan.core.errors import CunguanError
from cunguan.core.money import apply_rate, to_fraction
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
from cunguan.custody.handlers.project_steps import need_project
from cunguan.custody.handlers.repayments import Repayments
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import fields as custody_fields
from cunguan.custody.rules.bids import ProjectStatus
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.rules.schedules import Installment, Method, owes_nothing, schedule
from cunguan.custody.store import bids as bid_rows
from cunguan.custody.store import claims as claim_rows
from cunguan.custody.store import installments as installment_rows
from cunguan.custody.store import projects as project_rows
from cunguan.db.connection import Connection
from cunguan.ledger.model import Command, Payee, Result, Settle, Transfer


class Lending(Repayments):
    """Projects lent; a bank batch item settles a repayment too (``Repayments``)."""

    @checked()
    def lend(self, tenant_id: str, request_no: str, project_id: str) -> CustodyResult:
        """One linked batch: every bid hold to the borrower, red packets from the marketing
        account, the service fee to the fee account; then claims and the schedule."""
        return self.lends(tenant_id, [ProjectStep(request_no, project_id)])[0]

    @set_based(ProjectStep)
    def lends(self, tenant_id: str, steps: Sequence[ProjectStep],
              gate: Gate | None = None) -> list[CustodyResult]:
        """Many projects lent in one DB transaction, set-based (a lending window's batch);
        each answers as ``lend`` would."""
        return self._steps_many(tenant_id, "lend", steps, self._lend, gate=gate)

    @set_based(ProjectStep)
    def batch_steps(self, tenant_id: str, steps: Sequence[ProjectStep], kind: str
                    ) -> list[CustodyResult]:
        """The bank's own batch items (``BatchService``): lending or settling, each under a
        serial no. derived from its batch's (``B1#3@2``: item 3, second attempt), a form no
        platform may send, so no platform request can take an item's number."""
        work = {"lend": self._lend, "settle_repayment": self._settle}[kind]
        return self._steps_many(tenant_id, kind, steps, work,
                                {"request_no": custody_fields.derived_serial_no})

    def _lend(self, conn: Connection, tenant_id: str,
              steps: Sequence[ProjectStep]) -> list[Data | CunguanError]:
        """Lending of distinct projects, each its own all-or-nothing chain."""
        ids = {s.project_id for s in steps}
        projects = project_rows.by_id(conn, tenant_id, ids, lock=True)
        bids = bid_rows.frozen_of(conn, tenant_id, ids)
        lent: list[tuple[Any, list[Any], list[Installment]]] = []
        # no project, nothing is planned and the date goes unused
        day = self.accounting_date(conn, tenant_id) if projects else date.min

        def plan(step: ProjectStep) -> Planned:
            project = need_project(projects, step.project_id)
            if project.status != ProjectStatus.FULL.value:
                raise CustodyError(Refusal.PROJECT_NOT_FULL, f"project is {project.status}")
            mine = bids.get(step.project_id, [])
            borrower = chart.user_account_no(project.borrower_user_id)
            commands: list[Command] = [
                Settle(f"{step.request_no}#{i}", bid.hold_id,
                       (Payee(borrower, bid.amount_fen - bid.red_packet_fen),), "lend")
                for i, bid in enumerate(mine)]
            packets_fen = sum(bid.red_packet_fen for bid in mine)
            if packets_fen:
                commands.append(Transfer(f"{step.request_no}#rp", chart.MARKETING, borrower,
                                         packets_fen, "investment_red_packet"))
            fee_fen = apply_rate(project.amount_fen, project.service_fee_rate)
            if fee_fen:
                commands.append(Transfer(f"{step.request_no}#fee", borrower, chart.FEE,
                                         fee_fen, "service_fee"))

            def done(_: list[Result]) -> Data:
                plan_rows = schedule(project.amount_fen, project.annual_rate, project.months,
                                     Method(project.method), start=day)
                lent.append((project, mine, plan_rows))
                data: Data = {"project_id": step.project_id, "lent_fen": project.amount_fen,
                              "service_fee_fen": fee_fen, "claims": len(mine)}
                nothing = [i.period for i in plan_rows if owes_nothing(i)]
                if nothing:   # R-C12: 0.00 installments are paid at lending, and said so
                    data["installments_paid_at_lending"] = nothing
                return data
            return Planned(commands, done)

        outcomes = self.post_each(conn, tenant_id, [attempt(plan, s) for s in steps])
        if lent:
            self._after_lending(conn, tenant_id, day, lent)
        return outcomes

    def _after_lending(self, conn: Connection, tenant_id: str, day: date,
                       lent: list[tuple[Any, list[Any], list[Installment]]]) -> None:
        """For each project lent (with its bids and schedule): claims, the schedule (its 0.00
        installments paid), the bids lent and the project repaying, written set-based."""
        claims: list[Data] = []
        installments: list[Data] = []
        for project, bids, plan_rows in lent:
            method = Method(project.method)
            claims += [{
                "tenant_id": tenant_id, "claim_id": bid.bid_id,
                "project_id": project.project_id, "holder_user_id": bid.user_id,
                "principal_fen": bid.amount_fen, "outstanding_fen": bid.amount_fen,
                "status": "holding", "coupon_rate": bid.coupon_rate,
                "holding_id": bid.holding_id,
                # R-C18: the coupon's interest is recorded at lending, paid with each repayment.
                "coupon_due_fen": sum(i.interest_fen for i in schedule(
                    bid.amount_fen, bid.coupon_rate, project.months, method, start=day))
                if to_fraction(bid.coupon_rate) else 0} for bid in bids]
            installments += [{
                "tenant_id": tenant_id, "project_id": project.project_id, "period": i.period,
                "due_date": i.due_date, "principal_fen": i.principal_fen,
                "interest_fen": i.interest_fen, "penalty_fen": 0,
                "status": "paid" if owes_nothing(i) else "due", "hold_id": None}
                for i in plan_rows]
        claim_rows.insert_many(conn, claims)
        installment_rows.insert(conn, installments)
        bid_rows.end_frozen(conn, tenant_id, [p.project_id for p, _, _ in lent], "lent")
        project_rows.set_many(conn, tenant_id, [
            {"project_id": project.project_id, "status": ProjectStatus.REPAYING.value,
             "lent_on": day} for project, _, _ in lent])
