"""What the platform edge reads of custody's platform rows (``custody_platforms``): whether a
platform exists, its return-URL prefix and its callback URLs.

Custody owns the table; the edge only reads it, and only here, because credentials, bank-hosted
pages and callback delivery are keyed by the platform custody registered.
"""

from collections.abc import Iterable

from sqlalchemy import Connection, select

from cunguan.custody.store.tables import custody_platforms

_p = custody_platforms.c


def platform_exists(conn: Connection, tenant_id: str) -> bool:
    row = conn.execute(select(_p.tenant_id).where(_p.tenant_id == tenant_id)).first()
    return row is not None


def return_url_prefix(conn: Connection, tenant_id: str) -> str | None:
    """The prefix every return URL of the platform's pages must start with."""
    prefix: str | None = conn.execute(select(_p.return_url_prefix).where(
        _p.tenant_id == tenant_id)).scalar()
    return prefix


def callback_urls(conn: Connection, tenant_ids: Iterable[str]) -> dict[str, str | None]:
    """Each platform's callback URL (None when it has none), by tenant id."""
    return {tenant: url for tenant, url in conn.execute(
        select(_p.tenant_id, _p.callback_url).where(_p.tenant_id.in_(set(tenant_ids))))}
