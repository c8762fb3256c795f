"""Claims' rows (R-C10, R-C13, R-C14): investors' and recourse claims on a project, and the
listings that sell them."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cunguan.custody.rules.repayments import OPEN_CLAIM
from cunguan.custody.store import lookups
from cunguan.custody.store import rows as keyed
from cunguan.custody.store.tables import custody_claims, custody_listings
from cunguan.db.bulk import Rows, insert_rows, update_rows


def investment_of(conn: Connection, tenant_id: str, project_ids: Iterable[str]
                  ) -> dict[str, list[Any]]:
    """Every investment claim of each project (closed ones too), by project, by claim id."""
    return lookups.rows_of(conn, custody_claims, tenant_id, "project_id", project_ids,
                           "claim_id", kind="investment")


def of_project(conn: Connection, tenant_id: str, project_id: str, *,
               open_only: bool = True) -> list[Any]:
    """The investors' open claims (a listed claim is paid to its holder until sold), or
    all of them; by claim id."""
    k = custody_claims.c
    query = select(custody_claims).where(
        k.tenant_id == tenant_id, k.project_id == project_id, k.kind == "investment")
    if open_only:
        query = query.where(k.status.in_(OPEN_CLAIM))
    return list(conn.execute(query.order_by(k.claim_id)))


def outstanding_fen(conn: Connection, tenant_id: str, project_id: str) -> int:
    """Σ the project's investment claims outstanding."""
    k = custody_claims.c
    return int(sum(conn.execute(select(k.outstanding_fen).where(
        k.tenant_id == tenant_id, k.project_id == project_id,
        k.kind == "investment")).scalars()))


def insert_many(conn: Connection, rows: Rows) -> None:
    insert_rows(conn, custody_claims, rows)


def insert_one(conn: Connection, **values: Any) -> None:
    conn.execute(insert(custody_claims).values(**values))


def set_many(conn: Connection, tenant_id: str, rows: Sequence[dict[str, Any]]) -> None:
    """New values for the tenant's claims, each row naming its ``claim_id``."""
    update_rows(conn, custody_claims, ("tenant_id", "claim_id"),
                [{"tenant_id": tenant_id, **row} for row in rows])


def repay_principal(conn: Connection, tenant_id: str, claims: Sequence[Any],
                    principals_fen: Sequence[int]) -> None:
    """Each claim repaid its principal; one repaid in full is closed."""
    k = custody_claims.c
    for claim, principal_fen in zip(claims, principals_fen, strict=True):
        left = claim.outstanding_fen - principal_fen
        conn.execute(update(custody_claims).where(
            k.tenant_id == tenant_id, k.claim_id == claim.claim_id,
        ).values(outstanding_fen=left, status=claim.status if left else "closed"))


def insert_listing(conn: Connection, **values: Any) -> None:
    conn.execute(insert(custody_listings).values(**values))


def set_listing(conn: Connection, tenant_id: str, listing_id: str, **values: Any) -> None:
    update_rows(conn, custody_listings, ("tenant_id", "listing_id"),
                [{"tenant_id": tenant_id, "listing_id": listing_id, **values}])


def set_listings(conn: Connection, tenant_id: str, rows: Sequence[dict[str, Any]]) -> None:
    """New values for the tenant's listings, each row naming its ``listing_id``."""
    update_rows(conn, custody_listings, ("tenant_id", "listing_id"),
                [{"tenant_id": tenant_id, **row} for row in rows])


def claim(conn: Connection, tenant_id: str, claim_id: str) -> Any:
    """The claim (locked on PostgreSQL), or None."""
    return keyed.row(conn, custody_claims, tenant_id, "claim_id", claim_id, lock=True)


def listing(conn: Connection, tenant_id: str, listing_id: str) -> Any:
    """The listing (locked on PostgreSQL), or None."""
    return keyed.row(conn, custody_listings, tenant_id, "listing_id", listing_id, lock=True)
