"""Projects and bids (R-C8, R-C9, R-C10): a project registered, bid on, or its raise failed.

A bid freezes the bidder's money (less any investment red packet, paid at lending); a failed
raise (流标) releases every bid hold.
"""

from collections.abc import Sequence
from datetime import date, timedelta

from cunguan.core.errors import CunguanError
from cunguan.custody.handlers.base import (
    CustodyResult,
    Data,
    Gate,
    Planned,
    attempt,
    checked,
    need_active,
    set_based,
)
from cunguan.custody.handlers.lending_commands import BidRequest, ProjectTerms
from cunguan.custody.handlers.project_steps import ProjectSteps
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.bids import Bidder, BidTerms, ProjectStatus, check_bid
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.rules.schedules import Method, schedule
from cunguan.custody.store import bids as bid_rows
from cunguan.custody.store import lookups
from cunguan.custody.store import projects as project_rows
from cunguan.db.connection import Connection
from cunguan.ledger import rules
from cunguan.ledger.model import Freeze, Release, Result


class Projects(ProjectSteps):
    """Projects registered, bids placed, raises failed."""

    # -- projects (R-C8) -------------------------------------------------------------------
    @checked()
    def register_project(self, tenant_id: str, request_no: str, *, project_id: str,
                         borrower_user_id: str, amount_fen: int, annual_rate: str,
                         months: int, method: Method, bid_min_fen: int, bid_max_fen: int,
                         bid_step_fen: int, service_fee_rate: str = "0",
                         newbie_only: bool = False, risk_level: int = 1, raise_days: int = 7,
                         guarantor_user_id: str | None = None) -> CustodyResult:
        terms = ProjectTerms(request_no, project_id, borrower_user_id, amount_fen, annual_rate,
                             months, method, bid_min_fen, bid_max_fen, bid_step_fen,
                             service_fee_rate, newbie_only, risk_level, raise_days,
                             guarantor_user_id)
        return self.register_projects(tenant_id, [terms])[0]

    @set_based(ProjectTerms)
    def register_projects(self, tenant_id: str, requests: Sequence[ProjectTerms],
                          gate: Gate | None = None) -> list[CustodyResult]:
        """Many projects registered in one DB transaction, set-based; each answers as
        ``register_project`` would."""
        return self._steps_many(tenant_id, "register_project", requests, self._register,
                                gate=gate)

    def _register(self, conn: Connection, tenant_id: str,
                  requests: Sequence[ProjectTerms]) -> list[Data | CunguanError]:
        """Projects with distinct ids: each checked, then all inserted in one statement."""
        existing = project_rows.by_id(conn, tenant_id, {r.project_id for r in requests})
        users = lookups.users(conn, tenant_id, {r.borrower_user_id for r in requests} | {
            r.guarantor_user_id for r in requests if r.guarantor_user_id is not None})
        now = self.clock()
        rows: list[Data] = []

        def register(r: ProjectTerms) -> Data:
            r.check()
            if r.project_id in existing:
                raise CustodyError(Refusal.PROJECT_EXISTS, f"project_id {r.project_id} exists")
            borrower = need_active(users, r.borrower_user_id)
            if borrower.role != "borrower":
                raise CustodyError(Refusal.NOT_A_BORROWER,
                                   f"{r.borrower_user_id} is a {borrower.role}")
            if r.guarantor_user_id is not None:
                need_active(users, r.guarantor_user_id)
            try:  # refuse terms no schedule can be made for, before anyone bids
                schedule(r.amount_fen, r.annual_rate, r.months, r.method, start=date(2000, 1, 1))
            except ValueError as exc:
                raise CustodyError(Refusal.SCHEDULE_INVALID, str(exc)) from exc
            rows.append({
                "tenant_id": tenant_id, "project_id": r.project_id,
                "borrower_user_id": r.borrower_user_id, "guarantor_user_id": r.guarantor_user_id,
                "amount_fen": r.amount_fen, "annual_rate": r.annual_rate, "months": r.months,
                "method": r.method.value, "bid_min_fen": r.bid_min_fen,
                "bid_max_fen": r.bid_max_fen, "bid_step_fen": r.bid_step_fen,
                "newbie_only": int(r.newbie_only), "risk_level": r.risk_level,
                "service_fee_rate": r.service_fee_rate,
                "raise_until": now + timedelta(days=r.raise_days),
                "status": ProjectStatus.RAISING.value, "raised_fen": 0, "lent_on": None,
                "created_at": now})
            return {"project_id": r.project_id, "status": ProjectStatus.RAISING.value}

        outcomes = [attempt(register, r) for r in requests]
        if rows:
            project_rows.insert(conn, rows)
        return outcomes

    # -- bids (R-C9) -----------------------------------------------------------------------
    @checked()
    def bid(self, tenant_id: str, request_no: str, user_id: str, project_id: str,
            amount_fen: int, *, password: str | None = None,
            red_packet_fen: int = 0, coupon_rate: str = "0") -> CustodyResult:
        """Check the bid (R-C9) and freeze it; an investment red packet pays part at lending,
        an interest coupon (加息券) adds ``coupon_rate`` a year paid by the marketing account."""
        checked = self._password_step(tenant_id, user_id, password)
        if isinstance(checked, CustodyResult):
            return CustodyResult(request_no, False, checked.code, checked.message)
        request = BidRequest(request_no, user_id, project_id, amount_fen, red_packet_fen,
                             coupon_rate, checked)
        return self.bids(tenant_id, [request])[0]

    @set_based(BidRequest)
    def bids(self, tenant_id: str, requests: Sequence[BidRequest],
             gate: Gate | None = None) -> list[CustodyResult]:
        """Many bids in one DB transaction, set-based; each answers as ``bid`` would, the bids
        before it in the call counted (the project's raised amount, the bidder's money)."""
        return self.records_many(tenant_id, "bid", requests, self._place_bids, gate)

    def _place_bids(self, conn: Connection, tenant_id: str,
                    requests: Sequence[BidRequest]) -> list[Data | CunguanError]:
        """The checks of R-C9 and the freezes, shared by bids and finance-plan matching."""
        user_ids = {r.user_id for r in requests}
        projects = project_rows.by_id(conn, tenant_id, {r.project_id for r in requests},
                                      lock=True)
        raised = {no: (row.raised_fen, ProjectStatus(row.status))
                  for no, row in projects.items()}
        users = lookups.users(conn, tenant_id, user_ids)
        has_bid = {user: bool(row.has_bid) for user, row in users.items()}
        grants = lookups.authorizations(conn, tenant_id, "bid", user_ids)
        accounts = lookups.account_states(conn, tenant_id,
                                          {chart.user_account_no(u) for u in user_ids})
        now = self.clock()
        rows: list[Data] = []

        def plan(r: BidRequest) -> Planned:
            r.check()
            project = projects.get(r.project_id)
            if project is None:
                raise CustodyError(Refusal.PROJECT_NOT_FOUND, f"no project_id {r.project_id}")
            user = users.get(r.user_id)
            if user is None:
                raise CustodyError(Refusal.USER_NOT_FOUND, f"no user_id {r.user_id}")
            consent = self.consented(grants, r.user_id, r.amount_fen, r.password_checked)
            account = accounts.get(user.account_no)
            if account is None:
                raise CustodyError(Refusal.USER_NOT_FOUND, f"no account for user {r.user_id}")
            raised_fen, status = raised[r.project_id]
            bidder = Bidder(r.user_id, user.status == "active", consent,
                            account.available_fen + r.red_packet_fen, has_bid[r.user_id],
                            user.risk_tolerance)
            terms = BidTerms(project.borrower_user_id, status, project.amount_fen, raised_fen,
                             project.bid_min_fen, project.bid_max_fen, project.bid_step_fen,
                             bool(project.newbie_only), project.risk_level)
            if now > project.raise_until:
                raise CustodyError(Refusal.PROJECT_RAISE_ENDED, "the raise period is over")
            code = check_bid(terms, bidder, r.amount_fen)
            if code is not None:
                raise CustodyError(code, f"bid refused: {code}")
            own_fen = r.amount_fen - r.red_packet_fen
            after_fen = raised_fen + r.amount_fen
            after = (ProjectStatus.FULL if after_fen == project.amount_fen
                     else ProjectStatus.RAISING)
            if rules.check_can_pay(account) is None and rules.check_available(
                    account, own_fen) is None:  # the hold will apply: count it for the rest
                account.frozen_fen += own_fen
                raised[r.project_id] = (after_fen, after)
                has_bid[r.user_id] = True

            def done(results: list[Result]) -> Data:
                rows.append({"tenant_id": tenant_id, "bid_id": r.request_no,
                             "project_id": r.project_id, "user_id": r.user_id,
                             "amount_fen": r.amount_fen, "red_packet_fen": r.red_packet_fen,
                             "coupon_rate": r.coupon_rate, "holding_id": r.holding_id,
                             "hold_id": results[0].tx_id, "status": "frozen"})
                return {"bid_id": r.request_no, "hold_id": results[0].tx_id,
                        "project_status": after.value}
            return Planned([Freeze(r.request_no, user.account_no, own_fen,
                                   f"bid {r.project_id}", None, "bid")], done)

        outcomes = self.post_each(conn, tenant_id, [attempt(plan, r) for r in requests])
        if rows:
            self._record_bids(conn, tenant_id, rows, raised)
        return outcomes

    def _record_bids(self, conn: Connection, tenant_id: str, rows: list[Data],
                     raised: dict[str, tuple[int, ProjectStatus]]) -> None:
        bid_rows.insert(conn, rows)
        project_rows.set_many(conn, tenant_id, [
            {"project_id": project_id, "raised_fen": raised[project_id][0],
             "status": raised[project_id][1].value}
            for project_id in sorted({row["project_id"] for row in rows})])
        bid_rows.mark_bidders(conn, tenant_id, {row["user_id"] for row in rows})

    # -- failed raises (R-C10) -------------------------------------------------------------
    @checked()
    def fail_raise(self, tenant_id: str, request_no: str, project_id: str) -> CustodyResult:
        """流标: release every bid hold; investment red packets were never paid, so they go
        back to the marketing budget untouched."""
        def work(conn: Connection) -> Data:
            project = self._project(conn, tenant_id, project_id)
            if project.status not in (ProjectStatus.RAISING.value, ProjectStatus.FULL.value):
                raise CustodyError(Refusal.PROJECT_NOT_RAISING, f"project is {project.status}")
            bids = bid_rows.frozen(conn, tenant_id, project_id)
            self.post(conn, tenant_id, [Release(f"{request_no}#{i}", bid.hold_id,
                                                "raise failed") for i, bid in enumerate(bids)])
            bid_rows.end_frozen(conn, tenant_id, [project_id], "released")
            self._set_project(conn, tenant_id, project_id, status=ProjectStatus.FAILED.value)
            return {"project_id": project_id, "released_bids": len(bids),
                    "red_packets_returned_fen": sum(b.red_packet_fen for b in bids)}
        return self.command(tenant_id, request_no, "fail_raise", {"project": project_id}, work)

