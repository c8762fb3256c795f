"""Claims (R-C13, R-C14, R-C21): a project's claims read, and debt transfer (债权转让): a
claim listed for sale at a price, bought in one atomic step, or its listing cancelled."""

from collections.abc import Sequence
from typing import Any

from cunguan.core.errors import CunguanError
from cunguan.core.money import apply_rate
from cunguan.custody.handlers.base import (
    CustodyResult,
    Data,
    Gate,
    Planned,
    attempt,
    by_runs,
    checked,
    need_active,
    set_based,
)
from cunguan.custody.handlers.lending_commands import ClaimPurchase
from cunguan.custody.handlers.project_steps import ProjectSteps
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import claims as claim_rows
from cunguan.custody.store import installments as installment_rows
from cunguan.custody.store import lookups
from cunguan.custody.store.tables import custody_claims, custody_listings
from cunguan.db.connection import Connection, read_connection
from cunguan.ledger.model import CompoundTransfer, Posting, Result, Side


class Claims(ProjectSteps):
    """Claims read, listed, bought and unlisted."""

    def claims(self, tenant_id: str, project_id: str) -> list[Any]:
        """A project's open investment claims (R-C21 query)."""
        with read_connection(self.engine) as conn:
            return claim_rows.of_project(conn, tenant_id, project_id)

    def outstanding(self, tenant_id: str, project_id: str) -> tuple[int, int]:
        """(Σ claims outstanding, principal still due on the schedule): equal at all times."""
        with read_connection(self.engine) as conn:
            claims_fen = claim_rows.outstanding_fen(conn, tenant_id, project_id)
            loan_fen = installment_rows.principal_owed_fen(conn, tenant_id, project_id)
        return claims_fen, loan_fen

    # -- debt transfer (债权转让, R-C14) ------------------------------------------------------
    @checked()
    def list_claim(self, tenant_id: str, request_no: str, claim_id: str, seller_user_id: str,
                   price_fen: int, fee_rate: str = "0.005") -> CustodyResult:
        """Lock a claim for sale at a price above or below its outstanding principal."""
        if price_fen <= 0:
            return CustodyResult(request_no, False, Refusal.FIELD_INVALID, "the price is positive")

        def work(conn: Connection) -> Data:
            claim = self._claim(conn, tenant_id, claim_id)
            if claim.holder_user_id != seller_user_id or claim.kind != "investment":
                raise CustodyError(Refusal.CLAIM_NOT_HELD, "the seller does not hold this claim")
            if claim.status != "holding":
                raise CustodyError(Refusal.CLAIM_NOT_TRANSFERABLE, f"the claim is {claim.status}")
            fee_fen = apply_rate(price_fen, fee_rate)
            if fee_fen >= price_fen:
                raise CustodyError(Refusal.FIELD_INVALID, "the fee would take the whole price")
            claim_rows.insert_listing(
                conn, tenant_id=tenant_id, listing_id=request_no, claim_id=claim_id,
                seller_user_id=seller_user_id, price_fen=price_fen, fee_fen=fee_fen,
                status="listed", buyer_user_id=None)
            self._set_claim(conn, tenant_id, claim_id, status="listed")
            return {"listing_id": request_no, "outstanding_fen": claim.outstanding_fen,
                    "price_fen": price_fen, "fee_fen": fee_fen}
        return self.command(tenant_id, request_no, "list_claim",
                            {"claim": claim_id, "seller": seller_user_id, "price": price_fen,
                             "fee_rate": fee_rate}, work)

    @checked()
    def buy_claim(self, tenant_id: str, request_no: str, listing_id: str, buyer_user_id: str,
                  *, password: str | None = None) -> CustodyResult:
        """Atomic completion: the price from the buyer, less the fee to the seller, the fee to
        the fee account, the claim to the buyer."""
        checked = self._password_step(tenant_id, buyer_user_id, password)
        if isinstance(checked, CustodyResult):
            return CustodyResult(request_no, False, checked.code, checked.message)
        return self.buy_claims(tenant_id, [ClaimPurchase(request_no, listing_id, buyer_user_id,
                                                         checked)])[0]

    @set_based(ClaimPurchase)
    def buy_claims(self, tenant_id: str, requests: Sequence[ClaimPurchase],
                   gate: Gate | None = None) -> list[CustodyResult]:
        """Many purchases in one DB transaction, set-based, under the buyers' standing
        authorizations; each answers as ``buy_claim`` would in arrival order: a listing
        bought again finds it sold (the call runs in runs of distinct listings, each after the
        one before), and a buyer's money is spent purchase by purchase (the ledger posts the
        chains of a run in order)."""
        def in_runs(conn: Connection, tenant: str,
                    new: list[ClaimPurchase]) -> list[Data | CunguanError]:
            return by_runs(new, lambda r: r.listing_id,
                           lambda chosen: self._buy(conn, tenant, chosen))
        return self.records_many(tenant_id, "buy_claim", requests, in_runs, gate)

    def _buy(self, conn: Connection, tenant_id: str,
             requests: Sequence[ClaimPurchase]) -> list[Data | CunguanError]:
        """Purchases of distinct listings: listings, their claims, the buyers and their
        authorizations read once each (listings and claims locked, in key order); each
        purchase's transfer one chain of the ledger batch; the rows it changes written once
        for all."""
        listings = lookups.rows_by(conn, custody_listings, tenant_id, "listing_id",
                                   {r.listing_id for r in requests}, lock=True)
        claims = lookups.rows_by(conn, custody_claims, tenant_id, "claim_id",
                                 {row.claim_id for row in listings.values()}, lock=True)
        buyer_ids = {r.buyer_user_id for r in requests}
        users = lookups.users(conn, tenant_id, buyer_ids)
        grants = lookups.authorizations(conn, tenant_id, "bid", buyer_ids)
        sold_claims: list[Data] = []
        sold_listings: list[Data] = []

        def plan(r: ClaimPurchase) -> Planned:
            listing = _open_listing(listings, claims, r.listing_id)
            need_active(users, r.buyer_user_id)
            if r.buyer_user_id == listing.seller_user_id:
                raise CustodyError(Refusal.BUYER_IS_SELLER, "a seller cannot buy their own claim")
            self.need_consent(grants, r.buyer_user_id, "bid", listing.price_fen,
                              r.password_checked)
            buyer = chart.user_account_no(r.buyer_user_id)
            seller = chart.user_account_no(listing.seller_user_id)
            legs = [Posting(buyer, Side.DEBIT, listing.price_fen),
                    Posting(seller, Side.CREDIT, listing.price_fen - listing.fee_fen)]
            if listing.fee_fen:
                legs.append(Posting(chart.FEE, Side.CREDIT, listing.fee_fen))

            def done(_: list[Result]) -> Data:
                sold_claims.append({"claim_id": listing.claim_id, "status": "holding",
                                    "holder_user_id": r.buyer_user_id})
                sold_listings.append({"listing_id": r.listing_id, "status": "sold",
                                      "buyer_user_id": r.buyer_user_id})
                return {"claim_id": listing.claim_id, "buyer": r.buyer_user_id,
                        "price_fen": listing.price_fen, "fee_fen": listing.fee_fen}
            return Planned([CompoundTransfer(r.request_no, tuple(legs), "debt_transfer")], done)

        outcomes = self.post_each(conn, tenant_id, [attempt(plan, r) for r in requests])
        claim_rows.set_many(conn, tenant_id, sold_claims)
        claim_rows.set_listings(conn, tenant_id, sold_listings)
        return outcomes

    @checked()
    def cancel_listing(self, tenant_id: str, request_no: str,
                       listing_id: str) -> CustodyResult:
        def work(conn: Connection) -> Data:
            listing = self._listing(conn, tenant_id, listing_id)
            self._set_listing(conn, tenant_id, listing_id, status="cancelled")
            self._set_claim(conn, tenant_id, listing.claim_id, status="holding")
            return {"listing_id": listing_id, "status": "cancelled"}
        return self.command(tenant_id, request_no, "cancel_listing", {"listing": listing_id},
                            work)

    def _claim(self, conn: Connection, tenant_id: str, claim_id: str) -> Any:
        claim = claim_rows.claim(conn, tenant_id, claim_id)
        if claim is None:
            raise CustodyError(Refusal.CLAIM_NOT_FOUND, f"no claim_id {claim_id}")
        return claim

    def _set_claim(self, conn: Connection, tenant_id: str, claim_id: str,
                   **values: Any) -> None:
        claim_rows.set_many(conn, tenant_id, [{"claim_id": claim_id, **values}])

    def _listing(self, conn: Connection, tenant_id: str, listing_id: str) -> Any:
        row = claim_rows.listing(conn, tenant_id, listing_id)
        claim = None if row is None else self._claim(conn, tenant_id, row.claim_id)
        return _open_listing({listing_id: row} if row is not None else {},
                             {row.claim_id: claim} if row is not None else {}, listing_id)

    def _set_listing(self, conn: Connection, tenant_id: str, listing_id: str,
                     **values: Any) -> None:
        claim_rows.set_listing(conn, tenant_id, listing_id, **values)


def _open_listing(listings: dict[str, Any], claims: dict[str, Any], listing_id: str) -> Any:
    """The listing, open and its claim listed, from set-based reads; or the refusal."""
    row = listings.get(listing_id)
    if row is None:
        raise CustodyError(Refusal.LISTING_NOT_FOUND, f"no listing_id {listing_id}")
    if row.status != "listed":
        raise CustodyError(Refusal.LISTING_NOT_OPEN, f"the listing is {row.status}")
    claim = claims.get(row.claim_id)
    if claim is None:
        raise CustodyError(Refusal.CLAIM_NOT_FOUND, f"no claim_id {row.claim_id}")
    if claim.status != "listed":
        raise CustodyError(Refusal.LISTING_NOT_OPEN, f"the claim is {claim.status}")
    return row
