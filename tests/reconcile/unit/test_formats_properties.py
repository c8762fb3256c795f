"""R-B2 statements in, as properties: any statement rendered in a bank's layout reads back to
the same lines, and no bytes whatever make a reader fail with anything but a named refusal."""

import contextlib
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cunguan.reconcile.formats import FORMAT_NAMES, read_statement
from cunguan.reconcile.rules.refusals import ReconcileError
from cunguan.reconcile.rules.statements import Direction

from .formats_helpers import sample

_REF = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=20)
_NAME = st.text("张王李赵钱孙周吴郑某科技有限公司ab ", max_size=12).map(str.strip)
_LINE = st.tuples(st.sampled_from(list(Direction)), st.integers(1, 10**12), _REF, _NAME,
                  st.dates(date(2000, 1, 1), date(2099, 12, 31)))


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


Lines = list[tuple[Direction, int, str, str, date]]
#: Each preset's export: its lines before the rows (the opening balance in ``{opening}``) and
#: a row's template (the fields ``_render`` gives).
_LAYOUTS = {
    "icbc": (["账号,6222000011112222", '期初余额,"{opening}"',
              "凭证号,本方账号,对方账号,交易时间,借/贷,借方发生额,贷方发生额,对方行号,摘要,用途,"
              "对方单位名称,余额,个性化信息"],
             'R{n}{ref},6222000011112222,,{day:%Y-%m-%d} 10:00:00,,"{debit}","{credit}",,摘要,,'
             '{name},"{balance}",E{ref}'),
    "ccb": (["账号：6222000011112222",
             "交易日期,记账日期,账户明细编号-交易流水号,借贷方向,交易金额,账户余额,对方账号,"
             "对方户名,摘要,备注,冲补标志"],
            '{day:%Y%m%d},{day:%Y%m%d},R{n}{ref},{side},"{amount}","{balance}",,{name},摘要,'
            'E{ref},'),
    "boc": (["账号：6222000011112222", '"上日余额：{opening}"',
             "交易日期,起息日,交易流水号,借方发生额,贷方发生额,余额,对方账号,对方账户名称,摘要,"
             "附言,客户业务编号"],
            '{day:%Y/%m/%d},{day:%Y/%m/%d},R{n}{ref},"{debit}","{credit}","{balance}",,{name},'
            '摘要,,E{ref}'),
}


def _render(bank: str, opening: int, lines: Lines) -> str:
    """The statement as ``bank``'s export writes it, the balance running after each line."""
    head, row = _LAYOUTS[bank]
    rows = [text.format(opening=_yuan(opening)) for text in head]
    balance = opening
    for n, (direction, fen, ref, name, day) in enumerate(lines):
        debit = direction is Direction.DEBIT
        balance += -fen if debit else fen
        rows.append(row.format(
            n=n, ref=ref, name=name, day=day, amount=_yuan(fen), balance=_yuan(balance),
            debit=_yuan(fen) if debit else "", credit="" if debit else _yuan(fen),
            side="借" if debit else "贷"))
    return "\n".join(rows) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(opening=st.integers(-10**12, 10**12), lines=st.lists(_LINE, min_size=1, max_size=12),
       bank=st.sampled_from(["icbc", "ccb", "boc"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]))
def test_r_b2_a_statement_rendered_in_a_preset_reads_back_the_same(
        opening: int, lines: list[tuple[Direction, int, str, str, date]], bank: str,
        encoding: str) -> None:
    text = _render(bank, opening, lines)
    statement = read_statement(text.encode(encoding), f"csv:{bank}")
    assert statement.opening_balance_fen == opening
    assert [(line.direction, line.amount_fen, line.booking_date, line.counterparty_name,
             line.end_to_end_ref) for line in statement.lines] == [
        (direction, fen, day, name, f"E{ref}") for direction, fen, ref, name, day in lines]
    assert statement.balances_continue()


_SAMPLES = {"csv:icbc": "icbc_20261207.csv", "csv:ccb": "ccb_20261207.csv",
            "csv:boc": "boc_20261207.csv", "mt940": "cunguan_20261207.sta",
            "camt.053": "camt053_20261207.xml", "camt.054": "camt054_20261207.xml",
            "channel:quickpay": "quickpay_20261207.txt"}


def _never_raises_but_refusal(data: bytes, fmt: str) -> None:
    with contextlib.suppress(ReconcileError):
        read_statement(data, fmt)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=2_000), fmt=st.sampled_from(FORMAT_NAMES))
def test_r_b2_arbitrary_bytes_are_a_refusal_or_a_statement(data: bytes, fmt: str) -> None:
    _never_raises_but_refusal(data, fmt)


@settings(max_examples=300, deadline=None)
@given(fmt=st.sampled_from(sorted(_SAMPLES)), position=st.floats(0, 1),
       cut=st.integers(0, 8), insert=st.binary(max_size=8))
def test_r_b2_mutated_sample_files_are_a_refusal_or_a_statement(
        fmt: str, position: float, cut: int, insert: bytes) -> None:
    data = sample(_SAMPLES[fmt])
    at = int(position * len(data))
    _never_raises_but_refusal(data[:at] + insert + data[at + cut:], fmt)
