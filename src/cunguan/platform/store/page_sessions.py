"""Bank-hosted page sessions: made open, read by token, marked done with their answer."""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cunguan.platform.store.tables import page_sessions

_s = page_sessions.c


def insert_session(conn: Connection, *, tenant_id: str, token: str, action: str,
                   request_no: str, params_json: str, return_url: str, csrf_token: str,
                   expires_at: datetime, created_at: datetime) -> None:
    """A new session, open."""
    conn.execute(insert(page_sessions).values(
        tenant_id=tenant_id, token=token, action=action, request_no=request_no,
        params=params_json, return_url=return_url, csrf_token=csrf_token, status="open",
        expires_at=expires_at, created_at=created_at))


def session_row(conn: Connection, token: str) -> Any:
    """The session's row, or None."""
    return conn.execute(select(page_sessions).where(_s.token == token)).first()


def mark_done(conn: Connection, token: str, result_json: str) -> None:
    conn.execute(update(page_sessions).where(_s.token == token)
                 .values(status="done", result=result_json))
