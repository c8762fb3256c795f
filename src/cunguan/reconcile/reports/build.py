"""The 13 reserve-fund reports (R-B5) built from reserve days: a day's set from one day, a
month's from its days (flows summed, opening balances the first day's, closing balances and
open items the last day's). docs/REPORTS.md lists each report's columns and their sources."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from cunguan.core.errors import invariant
from cunguan.reconcile.reports.model import (
    Aggregate,
    Cell,
    Column,
    ColumnKind,
    Report,
    ReportSet,
    Row,
)
from cunguan.reconcile.rules import identities as ids
from cunguan.reconcile.rules.classes import CLASS_SPECS, BankRole, Category, CustomerKind
from cunguan.reconcile.rules.reserve import (
    AdjustmentKind,
    CustomerItem,
    InTransitItem,
    PrepaidKind,
    ReserveBankAccount,
    ReserveDay,
    Side,
    in_transit_fen,
)
from cunguan.reconcile.rules.statements import Direction

Days = Sequence[ReserveDay]
T, M, C = ColumnKind.TEXT, ColumnKind.MONEY, ColumnKind.COUNT
NONE, FIRST, LAST = Aggregate.NONE, Aggregate.FIRST, Aggregate.LAST

ROLE_ZH = {BankRole.CUSTODY: "存管户", BankRole.RECEIPT_PAYMENT: "收付户",
           BankRole.COLLECTION: "汇缴户", BankRole.NON_DEMAND: "非活期"}
KIND_ZH = {CustomerKind.PAYMENT: "支付账户", CustomerKind.SETTLEMENT: "结算账户",
           CustomerKind.PREPAID: "预付卡", CustomerKind.PENDING: "待清算"}
ADJUSTMENT_ZH = {
    AdjustmentKind.INTEREST_RECEIVED: "利息收入", AdjustmentKind.FEE_EXPENSE: "银行手续费",
    AdjustmentKind.RISK_RESERVE_TRANSFERRED: "结转风险准备金",
    AdjustmentKind.INTEREST_TRANSFERRED: "结转利息收入",
    AdjustmentKind.FEE_INCOME_TRANSFERRED: "结转手续费净收入",
    AdjustmentKind.OWN_FUNDS_DEPOSITED: "存放自有资金",
    AdjustmentKind.CASH_RESERVE_RECEIVED: "接受现金备付金",
    AdjustmentKind.CASH_RESERVE_DEPOSITED: "缴存现金备付金",
    AdjustmentKind.PREPAID_REDEEMED_OWN_FUNDS: "自有资金先行赎回预付卡",
    AdjustmentKind.REDEMPTION_FUNDS_TRANSFERRED: "先行赎回资金结转",
    AdjustmentKind.INTERNAL_TRANSFER: "备付金账户间划转", AdjustmentKind.OTHER: "其他调整"}
TRANSIT_ZH = {(Side.BANK, Direction.CREDIT): "银行已收、机构未收",
              (Side.BANK, Direction.DEBIT): "银行已付、机构未付",
              (Side.BOOK, Direction.CREDIT): "机构已收、银行未收",
              (Side.BOOK, Direction.DEBIT): "机构已付、银行未付"}
#: Report 10's ageing buckets: (key, title, lowest age, highest age) in calendar days.
AGEING = (("le5", "5天以内(含)", 0, 5), ("d6_10", "6-10天", 6, 10), ("ge11", "11天以上", 11, None))


def _report(code: str, title: str, days: Days, columns: Iterable[Column], rows: Iterable[Row],
            account: str = "", notes: tuple[str, ...] = ()) -> Report:
    return Report(code, title, days[0].institution, days[0].day, days[-1].day, tuple(columns),
                  tuple(rows), account, notes)


def total_row(columns: Sequence[Column], rows: Sequence[Row], label: str = "合计") -> Row:
    """The rows' totals: every money and count column summed, the first text column labelled."""
    cells: list[Cell] = []
    labelled = False
    for index, column in enumerate(columns):
        if column.kind is ColumnKind.TEXT:
            cells.append("" if labelled else label)
            labelled = True
        else:
            cells.append(sum(int(r.cells[index]) for r in rows))
    return Row("total", tuple(cells), total=True)


def with_total(columns: Sequence[Column], rows: Sequence[Row]) -> tuple[Row, ...]:
    return (*rows, total_row(columns, rows))


def _accounts(days: Days) -> list[ReserveBankAccount]:
    seen: dict[str, ReserveBankAccount] = {}
    for day in days:
        for account in day.bank_accounts:
            seen.setdefault(account.account.account_no, account.account)
    return list(seen.values())


# ------------------------------------------------------------ 1 客户备付金信息统计报表

SUMMARY_COLUMNS = (Column("line", "行次", T, NONE), Column("item", "项目", T, NONE),
                   Column("opening", "期初余额", M, FIRST), Column("increase", "本期增加"),
                   Column("decrease", "本期减少"), Column("closing", "期末余额", M, LAST))


def _stock_moves(day: ReserveDay) -> dict[str, tuple[int, int]]:
    """Each R-B3 stock's increase and decrease on T (the balance identity's other terms)."""
    a = day.adjustment_fen
    k = AdjustmentKind

    def signed(kind: AdjustmentKind) -> tuple[int, int]:
        values = [x.amount_fen for x in day.adjustments_of(kind)]
        return sum(v for v in values if v > 0), -sum(v for v in values if v < 0)

    previous = in_transit_fen(day.in_transit_previous)
    moved = in_transit_fen(day.in_transit) - previous
    channel = day.channel_in_transit_fen() - day.channel_in_transit_fen(closing=False)
    return {
        "cash_reserve_held": (a(k.CASH_RESERVE_RECEIVED), a(k.CASH_RESERVE_DEPOSITED)),
        "prepaid_advanced": (a(k.PREPAID_REDEEMED_OWN_FUNDS),
                             a(k.REDEMPTION_FUNDS_TRANSFERRED)),
        "untransferred_interest": (a(k.INTEREST_RECEIVED), a(k.INTEREST_TRANSFERRED)
                                   + a(k.RISK_RESERVE_TRANSFERRED)),
        "untransferred_fee_income": (day.fee_income_fen,
                                     a(k.FEE_EXPENSE) + a(k.FEE_INCOME_TRANSFERRED)),
        "own_funds": signed(k.OWN_FUNDS_DEPOSITED),
        "in_transit": (max(moved, 0), max(-moved, 0)),
        "channel_in_transit": (max(channel, 0), max(-channel, 0)),
        "other": signed(k.OTHER),
    }


STOCK_ZH = (("cash_reserve_held", "以现金形式持有的客户备付金"),
            ("prepaid_advanced", "以自有资金先行偿付的预付卡赎回金额"),
            ("untransferred_interest", "未结转利息收入"),
            ("untransferred_fee_income", "未结转手续费收入"),
            ("own_funds", "申请存放的自有资金"), ("in_transit", "未达账项净额"),
            ("channel_in_transit", "渠道在途资金"), ("other", "其他调整项目"))


#: The adjustment kinds moving each R-B3 stock (report 1's sources).
_STOCK_KINDS: dict[str, tuple[AdjustmentKind, ...]] = {
    "cash_reserve_held": (AdjustmentKind.CASH_RESERVE_RECEIVED,
                          AdjustmentKind.CASH_RESERVE_DEPOSITED),
    "prepaid_advanced": (AdjustmentKind.PREPAID_REDEEMED_OWN_FUNDS,
                         AdjustmentKind.REDEMPTION_FUNDS_TRANSFERRED),
    "untransferred_interest": (AdjustmentKind.INTEREST_RECEIVED,
                               AdjustmentKind.INTEREST_TRANSFERRED,
                               AdjustmentKind.RISK_RESERVE_TRANSFERRED),
    "untransferred_fee_income": (AdjustmentKind.FEE_EXPENSE,
                                 AdjustmentKind.FEE_INCOME_TRANSFERRED),
    "own_funds": (AdjustmentKind.OWN_FUNDS_DEPOSITED,),
    "other": (AdjustmentKind.OTHER,),
}


def _stock_sources(day: ReserveDay, name: str) -> tuple[str, ...]:
    """The keys of the items that moved a stock on T."""
    if name == "in_transit":
        return tuple(i.key for i in (*day.in_transit_previous, *day.in_transit))
    if name == "channel_in_transit":
        return day.channel_sources
    fees = (tuple(i.source_id for i in day.customer_items if i.fee_fen)
            if name == "untransferred_fee_income" else ())
    kinds = _STOCK_KINDS[name]
    return fees + tuple(a.key for a in day.adjustments if a.kind in kinds)


def _stock_fen(day: ReserveDay, name: str, *, closing: bool) -> int:
    if name == "in_transit":
        return in_transit_fen(day.in_transit if closing else day.in_transit_previous)
    if name == "channel_in_transit":
        return day.channel_in_transit_fen(closing=closing)
    stocks = day.stocks if closing else day.previous_stocks
    return int(getattr(stocks, f"{name}_fen"))


def report_1(days: Days) -> Report:
    """客户备付金信息统计报表: every reserve bank account, the customer funds and the other
    balances of R-B3's balance identity, opening to closing, with the identity's difference."""
    first, last = days[0], days[-1]
    rows: list[Row] = []
    for n, account in enumerate(_accounts(days), start=1):
        number = account.account_no
        of = [b for d in days for b in d.bank_accounts if b.account.account_no == number]
        opening = sum(b.previous_closing_fen for b in first.bank_accounts
                      if b.account.account_no == number)
        closing = sum(b.closing_fen for b in last.bank_accounts
                      if b.account.account_no == number)
        rows.append(Row(f"bank:{number}", (
            f"1.{n}", f"{account.bank_name} {number} {ROLE_ZH[account.role]}", opening,
            sum(b.credits_fen for b in of), sum(b.debits_fen for b in of), closing),
            tuple(s for b in of for s in b.statement_ids)))
    banks = total_row(SUMMARY_COLUMNS, rows)
    rows.append(Row("bank_total", ("1", "备付金银行账户余额合计", *banks.cells[2:]), total=True))
    rows.append(Row("customer", (
        "2", "客户资金账户余额合计", sum(c.previous_closing_fen for c in first.customer_accounts),
        sum(c.credits_fen for d in days for c in d.customer_accounts),
        sum(c.debits_fen for d in days for c in d.customer_accounts),
        sum(c.closing_fen for c in last.customer_accounts)),
        tuple(i.source_id for d in days for i in d.customer_items)))
    for n, (name, title) in enumerate(STOCK_ZH, start=3):
        moves = [_stock_moves(d)[name] for d in days]
        rows.append(Row(name, (str(n), title, _stock_fen(first, name, closing=False),
                               sum(m[0] for m in moves), sum(m[1] for m in moves),
                               _stock_fen(last, name, closing=True)),
                        tuple(k for d in days for k in _stock_sources(d, name))))
    rows.append(Row("difference", (str(len(STOCK_ZH) + 3), "余额勾稽差额(R-B3)", 0, 0, 0,
                                   ids.balance(last).difference_fen)))
    return _report("1", "客户备付金信息统计报表", days, SUMMARY_COLUMNS, rows, notes=(
        "行1=Σ备付金银行账户; 行11=行1-(行2-行3+行4+行5+行6+行7+行8-行9+行10), 应为0 (R-B3)",))


# ------------------------------------------------------------ 1-1 入金 / 2 出金 明细

def _class_items(days: Days, inflow: bool) -> list[tuple[ReserveDay, CustomerItem]]:
    found = []
    for day in days:
        for item in day.customer_items:
            cls = item.business_class
            if cls is not None and CLASS_SPECS[cls].is_inflow == inflow:
                found.append((day, item))
    return found


RECEIPT_COLUMNS = (
    Column("date", "日期", T, NONE), Column("source", "业务流水号", T, NONE),
    Column("type", "业务类型", T, NONE), Column("class", "业务分类", T, NONE),
    Column("account", "客户资金账户", T, NONE), Column("bank_account", "备付金银行账户", T, NONE),
    Column("amount", "入金金额"), Column("credited", "客户资金账户贷记金额"),
    Column("fee", "手续费收入"))


def report_1_1(days: Days) -> Report:
    """入金业务明细表: each item of the three classes that increase customer accounts."""
    rows = []
    for n, (day, item) in enumerate(_class_items(days, True)):
        spec = CLASS_SPECS[item.business_class] if item.business_class else None
        rows.append(Row(f"{day.day}:{n}", (
            str(day.day), item.source_id, item.business_type, spec.name_zh if spec else "",
            item.account_no, item.bank_account_no, item.bank_signed_fen, item.amount_fen,
            item.fee_fen), (item.source_id,)))
    return _report("1-1", "入金业务明细表", days, RECEIPT_COLUMNS,
                   with_total(RECEIPT_COLUMNS, rows))


PAYOUT_COLUMNS = (
    Column("date", "日期", T, NONE), Column("source", "业务流水号", T, NONE),
    Column("type", "业务类型", T, NONE), Column("class", "业务分类", T, NONE),
    Column("account", "客户资金账户", T, NONE), Column("payee_account", "收款账号", T, NONE),
    Column("payee_name", "收款人", T, NONE), Column("bank_account", "备付金银行账户", T, NONE),
    Column("debited", "客户资金账户借记金额"), Column("due", "应出金金额"),
    Column("fee", "手续费收入"))


def report_2(days: Days) -> Report:
    """出金业务明细表: each item of the two classes that decrease customer accounts: the
    debit to the customer, the amount due out of the bank, the fee income kept."""
    rows = []
    for n, (day, item) in enumerate(_class_items(days, False)):
        spec = CLASS_SPECS[item.business_class] if item.business_class else None
        rows.append(Row(f"{day.day}:{n}", (
            str(day.day), item.source_id, item.business_type, spec.name_zh if spec else "",
            item.account_no, item.counterparty_account, item.counterparty_name,
            item.bank_account_no, item.amount_fen, -item.bank_signed_fen, item.fee_fen),
            (item.source_id,)))
    return _report("2", "出金业务明细表", days, PAYOUT_COLUMNS, with_total(PAYOUT_COLUMNS, rows))


# ------------------------------------------------------------ 3 业务实际出金明细表 (分账户)

ACTUAL_COLUMNS = (
    Column("date", "记账日期", T, NONE), Column("bank_ref", "银行流水号", T, NONE),
    Column("counterparty_account", "对方账号", T, NONE),
    Column("counterparty_name", "对方户名", T, NONE), Column("description", "摘要", T, NONE),
    Column("status", "状态", T, NONE), Column("amount", "实际出金金额"),
    Column("bank_fee", "银行手续费"))


def report_3(days: Days, account: ReserveBankAccount) -> Report:
    """业务实际出金明细表 for one reserve bank account: its statement's debit lines; an account
    in report mode without lines shows its debit turnover per day."""
    number = account.account_no
    rows = []
    for day in days:
        for bank in (b for b in day.bank_accounts if b.account.account_no == number):
            debits = [b for b in bank.lines if b.line.direction is Direction.DEBIT]
            for b in debits:
                line = b.line
                rows.append(Row(b.key, (
                    str(line.booking_date), line.bank_ref, line.counterparty_account,
                    line.counterparty_name, line.description, str(line.status),
                    line.amount_fen, line.fee_fen), (b.key,)))
            if not bank.lines and bank.debits_fen:
                rows.append(Row(f"{day.day}:turnover", (
                    str(day.day), "", "", "", "报表模式: 借方发生额合计", "", bank.debits_fen, 0),
                    bank.statement_ids))
    return _report(f"3/{number}", f"业务实际出金明细表({account.bank_name} {number})", days,
                   ACTUAL_COLUMNS, with_total(ACTUAL_COLUMNS, rows), number)


# ------------------------------------------------------------ 4 转账 / 5 余额统计

TRANSFER_COLUMNS = (
    Column("type", "业务类型", T, NONE), Column("count", "笔数", C),
    Column("debit", "借方发生额"), Column("credit", "贷方发生额"), Column("fee", "手续费收入"))


def report_4(days: Days) -> Report:
    """客户资金账户转账业务统计表: transfers between customer fund accounts and fees, by
    business type: debit and credit turnover and the fee income taken."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    sources: dict[str, list[str]] = defaultdict(list)
    for day in days:
        for item in day.customer_items:
            if item.category not in (Category.TRANSFER, Category.FEE):
                continue
            row = sums[item.business_type]
            row[0] += 1
            row[1 if item.direction is Direction.DEBIT else 2] += item.amount_fen
            row[3] += item.fee_fen
            sources[item.business_type].append(item.source_id)
    rows = [Row(name, (name, *values), tuple(sources[name]))
            for name, values in sorted(sums.items())]
    return _report("4", "客户资金账户转账业务统计表", days, TRANSFER_COLUMNS,
                   with_total(TRANSFER_COLUMNS, rows))


BALANCE_COLUMNS = (
    Column("kind", "账户类别", T, NONE), Column("accounts", "账户数", C, LAST),
    Column("opening", "期初余额", M, FIRST), Column("receipts", "收款调增"),
    Column("payouts", "打款调减"), Column("debit", "借方发生额"), Column("credit", "贷方发生额"),
    Column("closing", "期末余额", M, LAST))


def _class_sum(days: Days, kind: CustomerKind, inflow: bool) -> int:
    """The amounts of the customer items of ``kind``'s accounts in the increasing (inflow) or
    decreasing classes."""
    total = 0
    for day in days:
        kinds = {c.account_no: c.kind for c in day.customer_accounts}
        for item in day.customer_items:
            cls = item.business_class
            if (cls is not None and kinds.get(item.account_no) is kind
                    and CLASS_SPECS[cls].is_inflow == inflow):
                total += item.amount_fen
    return total


def _kind_sources(days: Days, kind: CustomerKind) -> tuple[str, ...]:
    found = []
    for day in days:
        accounts = {c.account_no for c in day.customer_accounts if c.kind is kind}
        found += [i.source_id for i in day.customer_items if i.account_no in accounts]
    return tuple(found)


def report_5(days: Days) -> Report:
    """客户资金账户余额统计表, by kind of customer fund account: opening balance, credits from
    the three increasing classes (收款调增), debits from the two decreasing ones (打款调减),
    debit and credit turnover, closing balance."""
    rows = []
    for kind in CustomerKind:
        first = [c for c in days[0].customer_accounts if c.kind is kind]
        last = [c for c in days[-1].customer_accounts if c.kind is kind]
        every = [c for d in days for c in d.customer_accounts if c.kind is kind]
        if not every:
            continue
        rows.append(Row(str(kind), (
            KIND_ZH[kind], len(last), sum(c.previous_closing_fen for c in first),
            _class_sum(days, kind, True), _class_sum(days, kind, False),
            sum(c.debits_fen for c in every), sum(c.credits_fen for c in every),
            sum(c.closing_fen for c in last)), _kind_sources(days, kind)))
    return _report("5", "客户资金账户余额统计表", days, BALANCE_COLUMNS,
                   with_total(BALANCE_COLUMNS, rows), notes=(
                       "期末余额 = 期初余额 + 贷方发生额 - 借方发生额 (R-B3)",))


# ------------------------------------------------------------ 6 某银行特殊业务明细表

SPECIAL_COLUMNS = (
    Column("date", "日期", T, NONE), Column("source", "流水号", T, NONE),
    Column("account", "账号", T, NONE), Column("kind", "业务类型", T, NONE),
    Column("description", "摘要", T, NONE), Column("amount", "金额(增+减-)"))


def report_6(days: Days, bank_name: str) -> Report:
    """某银行特殊业务明细表: the movements on one bank's reserve accounts that are not customer
    business (interest, bank charges, transfers of income and risk reserve, own funds, cash
    reserve deposits, transfers between reserve accounts, other adjustments)."""
    numbers = {a.account_no for a in _accounts(days) if a.bank_name == bank_name}
    rows = [Row(f"{day.day}:{a.key}", (str(day.day), a.key, a.account_no,
                                       ADJUSTMENT_ZH[a.kind], a.description, a.bank_signed_fen),
                (a.key,))
            for day in days for a in day.adjustments if a.account_no in numbers]
    return _report(f"6/{bank_name}", f"{bank_name}特殊业务明细表", days, SPECIAL_COLUMNS,
                   with_total(SPECIAL_COLUMNS, rows), bank_name)


# ------------------------------------------------------------ 7, 8, 13 预付卡

def _per_day(days: Days, columns: Sequence[Column], code: str, title: str,
             cells: Callable[[ReserveDay], tuple[Cell, ...]], notes: tuple[str, ...] = ()
             ) -> Report:
    rows = [Row(str(d.day), (str(d.day), *cells(d)), tuple(p.key for p in d.prepaid_items))
            for d in days]
    invariant(all(len(r.cells) == len(columns) for r in rows), f"report {code}: cells")
    total = total_row(columns, rows)
    closing = [i for i, c in enumerate(columns) if c.aggregate is LAST]
    opening = [i for i, c in enumerate(columns) if c.aggregate is FIRST]
    fixed = tuple(rows[-1].cells[i] if i in closing else rows[0].cells[i] if i in opening
                  else cell for i, cell in enumerate(total.cells))
    return _report(code, title, days, columns, (*rows, Row("total", fixed, total=True)),
                   notes=notes)


def _prepaid(day: ReserveDay, kind: PrepaidKind) -> tuple[int, int, int]:
    items = [p for p in day.prepaid_items if p.kind is kind]
    return len(items), sum(p.cards for p in items), sum(p.amount_fen for p in items)


CASH_CARD_COLUMNS = (
    Column("date", "日期", T, NONE), Column("count", "笔数", C), Column("cards", "售卡张数", C),
    Column("amount", "现金购卡金额"), Column("received", "接受现金形式的客户备付金"),
    Column("deposited", "缴存备付金银行的现金"),
    Column("held", "期末现金形式持有的客户备付金", M, LAST))


def report_7(days: Days) -> Report:
    """现金购卡业务统计表: cards bought with cash, and the cash reserve received, deposited
    with the banks and held at the day's end (R-B3's cash terms)."""
    k = AdjustmentKind
    return _per_day(days, CASH_CARD_COLUMNS, "7", "现金购卡业务统计表", lambda d: (
        *_prepaid(d, PrepaidKind.CASH_PURCHASE), d.adjustment_fen(k.CASH_RESERVE_RECEIVED),
        d.adjustment_fen(k.CASH_RESERVE_DEPOSITED), d.stocks.cash_reserve_held_fen))


REDEMPTION_COLUMNS = (
    Column("date", "日期", T, NONE), Column("count", "笔数", C), Column("cards", "赎回张数", C),
    Column("amount", "现金赎回金额"), Column("advanced", "以自有资金先行赎回金额"),
    Column("transferred", "先行赎回资金结转金额"),
    Column("outstanding", "期末先行赎回未结转金额", M, LAST))


def report_8(days: Days) -> Report:
    """预付卡现金赎回业务统计表: redemptions in cash, those advanced from own funds, their
    transfer out of the reserve accounts and what is still advanced (R-B3's prepaid terms)."""
    k = AdjustmentKind
    return _per_day(days, REDEMPTION_COLUMNS, "8", "预付卡现金赎回业务统计表", lambda d: (
        *_prepaid(d, PrepaidKind.CASH_REDEMPTION),
        d.adjustment_fen(k.PREPAID_REDEEMED_OWN_FUNDS),
        d.adjustment_fen(k.REDEMPTION_FUNDS_TRANSFERRED), d.stocks.prepaid_advanced_fen))


DEPOSIT_COLUMNS = (
    Column("date", "日期", T, NONE), Column("opening", "期初押金余额", M, FIRST),
    Column("received_count", "收取笔数", C), Column("received", "收取押金"),
    Column("refunded_count", "退还笔数", C), Column("refunded", "退还押金"),
    Column("closing", "期末押金余额", M, LAST))


def report_13(days: Days) -> Report:
    """预付卡发行企业备付金账户中售卡押金统计表: card deposits held in the reserve accounts."""
    def cells(d: ReserveDay) -> tuple[Cell, ...]:
        received, refunded = (_prepaid(d, PrepaidKind.DEPOSIT_RECEIVED),
                              _prepaid(d, PrepaidKind.DEPOSIT_REFUNDED))
        return (d.previous_stocks.card_deposits_fen, received[0], received[2], refunded[0],
                refunded[2], d.stocks.card_deposits_fen)
    return _per_day(days, DEPOSIT_COLUMNS, "13", "预付卡发行企业备付金账户中售卡押金统计表",
                    cells)


# ------------------------------------------------------------ 9, 10 未达账项

TRANSIT_COLUMNS = (
    Column("key", "来源编号", T, NONE), Column("type", "未达类型", T, NONE),
    Column("value_date", "发生日期", T, NONE), Column("age", "未达天数", C, NONE),
    Column("class", "业务分类", T, NONE), Column("description", "摘要", T, NONE),
    Column("amount", "金额"), Column("effect", "对银行余额-账面的影响"))


def report_9(days: Days, account: ReserveBankAccount) -> Report:
    """某银行客户备付金业务未达账项统计表 for one account: its in-transit items open at the
    period's end, with their type, age and effect on bank balance − books."""
    last = days[-1]
    number = account.account_no
    rows = [Row(i.key, (i.key, TRANSIT_ZH[(i.side, i.direction)], str(i.value_date),
                        i.age_days(last.day),
                        CLASS_SPECS[i.business_class].name_zh if i.business_class else "",
                        i.description, i.amount_fen, i.effect_fen), (i.key,))
            for i in last.in_transit if i.account_no == number]
    columns = TRANSIT_COLUMNS
    total = total_row(columns, rows)
    total = Row("total", tuple(0 if c.key == "age" else v
                               for c, v in zip(columns, total.cells, strict=True)), total=True)
    return _report(f"9/{number}", f"{account.bank_name}客户备付金业务未达账项统计表({number})",
                   days, columns, (*rows, total), number)


def ageing(items: Iterable[InTransitItem], day: ReserveDay | None = None,
           ) -> dict[str, tuple[int, int]]:
    """Report 10's buckets: each bucket's count and amount of the items (ages at ``day``)."""
    found = {key: (0, 0) for key, _, _, _ in AGEING}
    for item in items:
        age = item.age_days(day.day) if day is not None else 0
        for key, _, low, high in AGEING:
            if age >= low and (high is None or age <= high):
                count, amount = found[key]
                found[key] = (count + 1, amount + item.amount_fen)
                break
    return found


AGEING_COLUMNS = (Column("account", "备付金银行账户", T, NONE), *(
    column for key, title, _, _ in AGEING for column in (
        Column(f"{key}_count", f"{title}笔数", C, LAST),
        Column(f"{key}_amount", f"{title}金额", M, LAST))),
    Column("count", "合计笔数", C, LAST), Column("amount", "合计金额", M, LAST))


def report_10(days: Days) -> Report:
    """未达账项分析表: the open in-transit items at the period's end by account and age
    (≤ 5 days, 6–10 days, ≥ 11 days), each bucket's count and amount."""
    last = days[-1]
    rows = []
    for account in _accounts(days):
        items = [i for i in last.in_transit if i.account_no == account.account_no]
        buckets = ageing(items, last)
        cells: list[Cell] = [f"{account.bank_name} {account.account_no}"]
        for key, _, _, _ in AGEING:
            cells += list(buckets[key])
        cells += [len(items), sum(i.amount_fen for i in items)]
        rows.append(Row(account.account_no, tuple(cells), tuple(i.key for i in items)))
    return _report("10", "未达账项分析表", days, AGEING_COLUMNS, with_total(AGEING_COLUMNS, rows),
                   notes=("天数 = 期末日 − 发生日期 (自然日)",))


# ------------------------------------------------------------ 11, 12 调节表 / 试算表

TERM_COLUMNS = (Column("line", "行次", T, NONE), Column("term", "项目", T, NONE),
                Column("amount", "金额"))


def report_11(days: Days) -> Report:
    """客户资金账户余额变动调节表: R-B3's movement identity term by term (a month: each term
    summed over its days)."""
    per_day = [ids.movement(d) for d in days]
    terms = [*per_day[0].right]
    rows = [Row("bank_movement", ("1", per_day[0].left[0].label,
                                  sum(i.left_fen for i in per_day)),
                tuple(s for i in per_day for s in i.left[0].sources))]
    for n, term in enumerate(terms, start=2):
        amount = sum(i.term(term.name).signed_fen for i in per_day)
        prefix = "" if n == 2 else "减: " if term.sign < 0 else "加: "
        rows.append(Row(term.name, (str(n), prefix + term.label, amount),
                        tuple(s for i in per_day for s in i.term(term.name).sources)))
    rows.append(Row("difference", (str(len(terms) + 2), "差额(应为0)",
                                   sum(i.difference_fen for i in per_day)), total=True))
    return _report("11", "客户资金账户余额变动调节表", days, TERM_COLUMNS, rows, notes=(
        "行1 = 行2 + … + 行" + str(len(terms) + 1) + " (R-B3); 减项以负数列示",))


def report_12(days: Days) -> Report:
    """客户资金账户余额试算表: R-B3's balance identity at the period's end, term by term."""
    identity = ids.balance(days[-1])
    rows = [Row(identity.left[0].name, ("1", identity.left[0].label, identity.left_fen),
                identity.left[0].sources)]
    for n, term in enumerate(identity.right, start=2):
        rows.append(Row(term.name, (str(n), ("减: " if term.sign < 0 else "") + term.label,
                                    term.signed_fen), term.sources))
    rows.append(Row("difference", (str(len(rows) + 1), "差额(应为0)", identity.difference_fen),
                    total=True))
    columns = tuple(Column(c.key, c.title, c.kind, LAST if c.kind is M else c.aggregate)
                    for c in TERM_COLUMNS)
    return _report("12", "客户资金账户余额试算表", days, columns, rows)


def report_set(days: Days, *, monthly: bool = False) -> ReportSet:
    """The 13 reports (with 1-1 and the per-account variants of 3, 6 and 9) of a day or of the
    days of a month, in the order of R-B5."""
    invariant(bool(days), "a report set covers at least one day")
    ordered = sorted(days, key=lambda d: d.day)
    invariant(len({d.day for d in ordered}) == len(ordered), "each day once")
    accounts = _accounts(ordered)
    banks = sorted({a.bank_name for a in accounts})
    reports = [report_1(ordered), report_1_1(ordered), report_2(ordered),
               *(report_3(ordered, a) for a in accounts), report_4(ordered), report_5(ordered),
               *(report_6(ordered, b) for b in banks), report_7(ordered), report_8(ordered),
               *(report_9(ordered, a) for a in accounts), report_10(ordered),
               report_11(ordered), report_12(ordered), report_13(ordered)]
    return ReportSet(ordered[0].institution, ordered[0].day, ordered[-1].day, monthly,
                     tuple(reports))
