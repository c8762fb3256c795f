"""A platform's daily reconciliation file (对账文件, R-C22): every movement of the accounts the
bank keeps for the platform on one closed accounting day, with control totals, as CSV.

The file is a function of the closed day's ledger alone, so it is the same bytes however often
it is made. Records, one a line (UTF-8, CSV, CRLF), each led by its type:

- ``H``: format, version, platform, accounting date, currency, unit.
- ``A`` per account that moved: account no., normal side (D/C), opening balance and frozen
  amount, the day's debits and credits, closing balance and frozen amount, its ``D`` lines.
- ``D`` per fund-log line, after its account's ``A``, in posting order: account no., entry
  no., posted at (CST), accounting date, business type, request no., kind (posting, hold,
  unhold), direction (debit, credit; empty for holds), amount, balance after, frozen after,
  counterparty account no., transaction id.
- ``T`` last: lines, postings, credits, debits, accounts.

Amounts are int fen. Per account, opening balance + the day's signed postings = closing
balance (checked here while the file is made, and by any reader); over the file the debits
equal the credits (double entry).
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from cunguan.core import signing
from cunguan.core.clock import CST
from cunguan.core.errors import invariant

FORMAT: Final = "CGRF"
VERSION: Final = "1"
CURRENCY: Final = "CNY"
#: What the signature's canonical text says in place of a request's method.
SIGNED_METHOD: Final = "FILE"
#: The response headers that carry the file's signature (apart from the response's own).
HEADER_FILE_KEY: Final = "X-Cunguan-File-Key"
HEADER_FILE_ALGORITHM: Final = "X-Cunguan-File-Algorithm"
HEADER_FILE_TIMESTAMP: Final = "X-Cunguan-File-Timestamp"
HEADER_FILE_NONCE: Final = "X-Cunguan-File-Nonce"
HEADER_FILE_SIGNATURE: Final = "X-Cunguan-File-Signature"
HEADER_FILE_SHA256: Final = "X-Cunguan-File-Sha256"


@dataclass(frozen=True, slots=True)
class FileLine:
    """One fund-log line of the day (a posting moves the balance, a hold line the frozen
    amount); ``side`` "D"/"C" for a posting, None for a hold line."""

    account_no: str
    entry_seq: int
    tx_id: int
    line_kind: str
    side: str | None
    amount_fen: int
    balance_after_fen: int
    frozen_after_fen: int
    counterparty_account_no: str
    request_no: str
    business_type: str
    accounting_date: date
    posted_at: datetime


@dataclass(frozen=True, slots=True)
class AccountTotals:
    """An account's day as the day close snapshotted it (``day_balances``)."""

    account_no: str
    normal_side: str
    opening_balance_fen: int
    opening_frozen_fen: int
    debit_fen: int
    credit_fen: int
    closing_balance_fen: int
    closing_frozen_fen: int


@dataclass(frozen=True, slots=True)
class ControlTotals:
    """The ``T`` record: lines, postings, credits, debits, accounts."""

    lines: int
    postings: int
    credit_fen: int
    debit_fen: int
    accounts: int


def target(day: date) -> str:
    """The path the file is fetched at; its signature names it."""
    return f"/v1/reconciliation-files/{day.isoformat()}"


def signature_text(day: date, timestamp: int, nonce: str, content: bytes) -> bytes:
    """What the bank signs (HMAC-SHA256 with the platform's key, as its callbacks): the API's
    canonical text with ``FILE`` for the method and the file's bytes for the body."""
    return signing.canonical_text(signing.HMAC_SHA256, SIGNED_METHOD, target(day), timestamp,
                                  nonce, content)


def _signed_fen(side: str, normal_side: str, amount_fen: int) -> int:
    return amount_fen if side == normal_side else -amount_fen


def _walk(account: AccountTotals, lines: Sequence[FileLine]) -> tuple[int, int]:
    """Continuity: each line's balance and frozen amount after it follow from the one before,
    from the opening to the closing; returns the day's (debits, credits)."""
    balance, frozen = account.opening_balance_fen, account.opening_frozen_fen
    debit_fen = credit_fen = 0
    for line in lines:
        if line.line_kind == "posting":
            side = line.side or ""
            balance += _signed_fen(side, account.normal_side, line.amount_fen)
            debit_fen += line.amount_fen if side == "D" else 0
            credit_fen += line.amount_fen if side == "C" else 0
        else:
            frozen += line.amount_fen if line.line_kind == "hold" else -line.amount_fen
        invariant((balance, frozen) == (line.balance_after_fen, line.frozen_after_fen),
                  f"{account.account_no} #{line.entry_seq}: balance does not continue")
    invariant((balance, frozen) == (account.closing_balance_fen, account.closing_frozen_fen),
              f"{account.account_no}: the day's lines do not reach its closing balance")
    invariant((debit_fen, credit_fen) == (account.debit_fen, account.credit_fen),
              f"{account.account_no}: the day's lines are not the close's turnover")
    return debit_fen, credit_fen


def _d_record(line: FileLine) -> list[str]:
    direction = {"D": "debit", "C": "credit"}.get(line.side or "", "")
    posted = line.posted_at.astimezone(CST).isoformat(timespec="microseconds")
    return ["D", line.account_no, str(line.entry_seq), posted, line.accounting_date.isoformat(),
            line.business_type, line.request_no, line.line_kind, direction,
            str(line.amount_fen), str(line.balance_after_fen), str(line.frozen_after_fen),
            line.counterparty_account_no, str(line.tx_id)]


def render(tenant_id: str, day: date, accounts: Sequence[AccountTotals],
           lines: Sequence[FileLine]) -> tuple[bytes, ControlTotals]:
    """The file's bytes and its control totals; ``accounts`` are those that moved on ``day``
    and ``lines`` their fund-log lines of the day (in any order: they are written by account
    and entry no.)."""
    by_account: dict[str, list[FileLine]] = {a.account_no: [] for a in accounts}
    for line in sorted(lines, key=lambda x: (x.account_no, x.entry_seq)):
        invariant(line.account_no in by_account and line.accounting_date == day,
                  f"line {line.account_no} #{line.entry_seq} is not of the day's accounts")
        by_account[line.account_no].append(line)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["H", FORMAT, VERSION, tenant_id, day.isoformat(), CURRENCY, "fen"])
    debit_fen = credit_fen = postings = 0
    for account in sorted(accounts, key=lambda a: a.account_no):
        mine = by_account[account.account_no]
        debits, credits = _walk(account, mine)
        debit_fen, credit_fen = debit_fen + debits, credit_fen + credits
        postings += sum(1 for line in mine if line.line_kind == "posting")
        writer.writerow(["A", account.account_no, account.normal_side,
                         str(account.opening_balance_fen), str(account.opening_frozen_fen),
                         str(account.debit_fen), str(account.credit_fen),
                         str(account.closing_balance_fen), str(account.closing_frozen_fen),
                         str(len(mine))])
        writer.writerows(_d_record(line) for line in mine)
    totals = ControlTotals(len(lines), postings, credit_fen, debit_fen, len(accounts))
    invariant(debit_fen == credit_fen, f"{tenant_id} {day}: debits and credits differ")
    writer.writerow(["T", str(totals.lines), str(totals.postings), str(totals.credit_fen),
                     str(totals.debit_fen), str(totals.accounts)])
    return out.getvalue().encode("utf-8"), totals
