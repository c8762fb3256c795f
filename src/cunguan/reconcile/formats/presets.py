"""The shipped layouts of three large banks' account-detail exports (账户明细), CSV or XLSX alike.
They are the layouts as these banks' corporate online banking prints them in our samples; a bank
that changes its export, or another bank, is a new ``ColumnMap`` (``column_map_from_mapping``,
docs/OPERATIONS.md "Statement formats").

ICBC 中国工商银行 (``csv:icbc``, ``xlsx:icbc``) — two amount columns, a balance column::

    preamble  账号,<no.> / 户名,<name> / 币种,人民币 / 起始日期,20261207,终止日期,20261207 /
              期初余额,<amount>
    header    凭证号 | 本方账号 | 对方账号 | 交易时间 | 借/贷 | 借方发生额 | 贷方发生额 |
              对方行号 | 摘要 | 用途 | 对方单位名称 | 余额 | 个性化信息
    summary   合计笔数,<n> / 借方合计,<sum> / 贷方合计,<sum> / 期末余额,<amount>

    value and booking date: 交易时间 (2026-12-07 10:15:02); bank reference: 凭证号; own account:
    本方账号; counterparty: 对方账号, 对方单位名称; narrative: 摘要 / 用途 / 个性化信息 (our
    request serial no. travels in 个性化信息, read as the end-to-end reference).

CCB 中国建设银行 (``csv:ccb``, ``xlsx:ccb``) — one signed amount with a direction column::

    preamble  账号：<no.> / 账户名称：<name> / 查询期间：2026-12-07 至 2026-12-07
    header    交易日期 | 记账日期 | 账户明细编号-交易流水号 | 借贷方向 | 交易金额 | 账户余额 |
              对方账号 | 对方户名 | 摘要 | 备注 | 冲补标志
    summary   合计笔数：<n> / 支出合计：<sum> / 收入合计：<sum>

    value date: 交易日期 (20261207); booking date: 记账日期; direction: 借贷方向 (借/贷);
    amount: 交易金额 (unsigned, or signed: a sign must agree with the direction); reversal:
    冲补标志 = 冲正; end-to-end reference: 备注; opening balance: the first line's balance less
    its amount; closing balance: the last line's balance.

BOC 中国银行 (``csv:boc``, ``xlsx:boc``) — two amount columns, dates with slashes::

    preamble  账号：<no.> / 开始日期：2026/12/07 / 结束日期：2026/12/07 / 上日余额：<amount>
    header    交易日期 | 起息日 | 交易流水号 | 借方发生额 | 贷方发生额 | 余额 |
              对方账号 | 对方账户名称 | 摘要 | 附言 | 客户业务编号
    summary   借方发生额合计：<sum> / 贷方发生额合计：<sum> / 本日余额：<amount>

    value date: 起息日; booking date: 交易日期; bank reference: 交易流水号; end-to-end
    reference: 客户业务编号.
"""

from cunguan.reconcile.formats.columns import ColumnMap

ICBC = ColumnMap(
    name="icbc", date="交易时间", bank_ref="凭证号", debit="借方发生额", credit="贷方发生额",
    balance="余额", account="本方账号", counterparty_account="对方账号",
    counterparty_name="对方单位名称", description=("摘要", "用途"),
    end_to_end_ref="个性化信息")

CCB = ColumnMap(
    name="ccb", date="交易日期", booking_date="记账日期", bank_ref="账户明细编号-交易流水号",
    amount="交易金额", direction="借贷方向", balance="账户余额", counterparty_account="对方账号",
    counterparty_name="对方户名", description=("摘要",), end_to_end_ref="备注",
    reversal="冲补标志", reversal_tokens=("冲正",), account_labels=("账号",),
    period_labels=("查询期间",))

BOC = ColumnMap(
    name="boc", date="起息日", booking_date="交易日期", bank_ref="交易流水号",
    debit="借方发生额", credit="贷方发生额", balance="余额", counterparty_account="对方账号",
    counterparty_name="对方账户名称", description=("摘要", "附言"),
    end_to_end_ref="客户业务编号", opening_labels=("上日余额",), closing_labels=("本日余额",))

#: The shipped layouts by name (``csv:<name>``, ``xlsx:<name>``).
PRESETS: dict[str, ColumnMap] = {cmap.name: cmap for cmap in (ICBC, CCB, BOC)}
