"""A quick-pay channel's daily settlement file (快捷支付渠道结算对账文件), ``channel:quickpay``.

The channel settles a merchant's quick-pay trades of day T to the merchant's settlement account
and sends one file a day: pipe-separated text, UTF-8 or GBK, one record a line, the record type
first::

    H|<merchant no.>|<settlement date YYYYMMDD>|<settlement account no.>|<currency>|<batch no.>
    T|<detail lines>|<success count>|<success amount>|<refund count>|<refund amount>
     |<fee total>|<net settlement amount>
    D|<channel serial>|<our order no.>|<trade time YYYY-MM-DD HH:MM:SS>|<amount>|<fee>
     |<SUCCESS or REFUND>|<original order no. (refunds)>|<remark>
    ...

(the T and D records are one line each; amounts are yuan with at most two decimals, > 0, fees
>= 0). H comes first, T second, then the D records; blank lines at the end are ignored.

Control totals (checked, the file refused whole with ``statement_control_totals_mismatch``
otherwise): the D records' count; success count and amount sum; refund count and amount sum;
the fee sum; net = success amount − refund amount − fees.

The statement is of the settlement account (H's account no.): a SUCCESS line is a credit of its
amount, a REFUND line a debit, each with its fee in ``fee_fen``; the channel serial is the bank
reference, our order no. the end-to-end reference, a refund's original order no. its original
reference. The file states no balances (``balances_stated`` False); its id is
``quickpay:<merchant>:<date>:<batch>``.
"""

import re
from datetime import date

from cunguan.reconcile.formats import common
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.statements import Direction, LineStatus, Statement, StatementLine

_CODE = re.compile(r"[0-9A-Za-z_-]{1,64}", re.ASCII)
_COUNT = re.compile(r"[0-9]{1,9}", re.ASCII)
_STATUS = {"SUCCESS": Direction.CREDIT, "REFUND": Direction.DEBIT}


def _fields(line: int, raw: str, kind: str, count: int) -> list[str]:
    cells = raw.split("|")
    if cells[0] != kind:
        common.refuse(line, f"expected a {kind} record, found {cells[0][:8]!r}")
    if len(cells) != count:
        common.refuse(line, f"a {kind} record has {count} fields, this one {len(cells)}")
    return [cell.strip() for cell in cells[1:]]


def _code(value: str, line: int, what: str) -> str:
    if not _CODE.fullmatch(value):
        common.refuse(line, f"{what} {value[:40]!r} is not 1-64 letters, digits, - or _")
    return value


def _count(value: str, line: int, what: str) -> int:
    if not _COUNT.fullmatch(value):
        common.refuse(line, f"{what} {value[:20]!r} is not a whole number")
    return int(value)


def _detail(line: int, raw: str) -> StatementLine:
    serial, order, when, amount, fee, status, original, remark = _fields(line, raw, "D", 9)
    if status not in _STATUS:
        common.refuse(line, f"status {status[:20]!r} is neither SUCCESS nor REFUND")
    direction = _STATUS[status]
    amount_fen = common.amount_fen(amount, line, "amount")
    if amount_fen == 0:
        common.refuse(line, "the amount is zero")
    if direction is Direction.DEBIT and not original:
        common.refuse(line, "a refund without the original order no.")
    trade_day = common.parse_date(when, line, "trade time")
    return StatementLine(
        line_no=line, value_date=trade_day, booking_date=trade_day, direction=direction,
        amount_fen=amount_fen, bank_ref=_code(serial, line, "channel serial"),
        end_to_end_ref=_code(order, line, "order no."),
        description=common.check_text(remark, line, "remark"), status=LineStatus.BOOKED,
        fee_fen=common.amount_fen(fee, line, "fee"),
        original_ref=_code(original, line, "original order no.") if original else "")


def _check_totals(line: int, totals: list[str], lines: list[StatementLine]) -> None:
    success = [item for item in lines if item.direction is Direction.CREDIT]
    refunds = [item for item in lines if item.direction is Direction.DEBIT]
    fees = sum(item.fee_fen for item in lines)
    computed = {
        "detail lines": len(lines), "success count": len(success),
        "success amount": sum(item.amount_fen for item in success),
        "refund count": len(refunds), "refund amount": sum(item.amount_fen for item in refunds),
        "fee total": fees,
    }
    computed["net settlement amount"] = (computed["success amount"]
                                         - computed["refund amount"] - fees)
    for (what, value), text in zip(computed.items(), totals, strict=True):
        is_count = what.endswith(("count", "lines"))
        stated = (_count(text, line, what) if is_count
                  else common.amount_fen(text, line, what, signed=what.startswith("net")))
        if stated != value:
            raise ReconcileError(Refusal.STATEMENT_CONTROL_TOTALS_MISMATCH,
                                 f"line {line}: {what} stated {stated}, the lines give {value}",
                                 line=line, total=what, stated=stated, computed=value)


def read_quickpay(data: bytes, account_no: str | None) -> Statement:
    """A quick-pay settlement file: the settlement account's lines, totals checked."""
    text = common.decode(data).replace("\r\n", "\n").rstrip("\n")
    records = text.split("\n")
    if len(records) < 2:
        common.refuse(len(records), "a settlement file has an H and a T record at least")
    merchant, day, account, currency, batch = _fields(1, records[0], "H", 6)
    settled: date = common.parse_date(day, 1, "settlement date")
    if not (len(currency) == 3 and currency.isascii() and currency.isupper()):
        common.refuse(1, f"currency {currency[:8]!r} is not an ISO 4217 code")
    totals = _fields(2, records[1], "T", 8)
    common.check_line_count(len(records) - 2)
    lines = [_detail(number, raw) for number, raw in enumerate(records[2:], start=3)]
    _check_totals(2, totals, lines)
    refs = [item.bank_ref for item in lines]
    if len(set(refs)) != len(refs):
        common.refuse(0, "a channel serial stands twice")
    statement = Statement(
        source_format="channel:quickpay",
        statement_id=f"quickpay:{_code(merchant, 1, 'merchant no.')}:{settled:%Y%m%d}:"
                     f"{_code(batch, 1, 'batch no.')}",
        account_no=common.resolve_account(_code(account, 1, "account no."), account_no),
        currency=currency, from_date=min([settled, *(i.booking_date for i in lines)]),
        to_date=settled, opening_balance_fen=0, closing_balance_fen=0, lines=tuple(lines),
        balances_stated=False)
    return common.check_balances(_closed(statement))


def _closed(statement: Statement) -> Statement:
    from dataclasses import replace

    # No balance is stated: the closing balance is the movement itself (see Statement).
    return replace(statement, closing_balance_fen=statement.movement_fen)
