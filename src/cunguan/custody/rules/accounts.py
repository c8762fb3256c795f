"""A platform's chart of accounts in the ledger (R-C1, R-C2, R-C3).

The custody summary account is debit-normal (the bank holds the money); every sub-account is
credit-normal (the bank owes it), so Σ sub-accounts = summary + channel money in transit is the
ledger's own double-entry identity, checked at every day close.
"""

from cunguan.ledger.model import AccountFlag, AccountSpec, Side

SUMMARY = "SUMMARY"              # 资金存管汇总账户
CHANNEL_TRANSIT = "CHANNEL"      # 渠道在途: quick-pay money the channel settles T+1
FEE = "FEE"                      # 手续费账户: in-only
MARKETING = "MARKETING"          # 红包/营销款账户: out-only
OWN = "OWN"                      # 平台自有账户
RISK_RESERVE = "RISK"            # 风险保证金账户: the platform cannot debit it directly
INTEREST = "INTEREST"            # 派息账户 (finance plans)
UNALLOCATED = "UNALLOCATED"      # offline transfers whose payer card is not bound (挂账)
ADVANCE = "ADVANCE"              # 垫资: owed to whoever advanced T+0 payouts of unsettled money
#: 存管费收入: the bank's custody fee income from the platform (R-C2), the bank's money until
#: it sweeps it out of the custody account; nobody but the bank's fee run moves it.
CUSTODY_FEE_INCOME = "BANKFEE"

BANK_HELD = (SUMMARY, CHANNEL_TRANSIT)
PLATFORM_ACCOUNTS = (FEE, MARKETING, OWN, RISK_RESERVE, INTEREST, UNALLOCATED, ADVANCE)
#: Accounts a platform may never name as the payer of an instruction.
PLATFORM_CANNOT_DEBIT = (SUMMARY, CHANNEL_TRANSIT, RISK_RESERVE, UNALLOCATED, FEE, ADVANCE,
                         CUSTODY_FEE_INCOME)


def platform_chart(tenant_id: str) -> list[AccountSpec]:
    """Every account of the chart is hot (AccountFlag.HOT): each is shared by all the
    platform's users, so a batch of theirs locks it only while its lines are written."""
    hot = AccountFlag.HOT
    return [
        AccountSpec(SUMMARY, "bank", "custody_summary", "1002", Side.DEBIT, hot),
        AccountSpec(CHANNEL_TRANSIT, "bank", "channel_in_transit", "1221", Side.DEBIT, hot),
        AccountSpec(FEE, tenant_id, "platform_fee", "2241", Side.CREDIT,
                    AccountFlag.IN_ONLY | hot),
        AccountSpec(MARKETING, tenant_id, "platform_marketing", "2242", Side.CREDIT,
                    AccountFlag.OUT_ONLY | hot),
        AccountSpec(OWN, tenant_id, "platform_own", "2243", Side.CREDIT, hot),
        AccountSpec(RISK_RESERVE, tenant_id, "risk_reserve", "2244", Side.CREDIT, hot),
        AccountSpec(INTEREST, tenant_id, "interest_distribution", "2245", Side.CREDIT, hot),
        AccountSpec(UNALLOCATED, "bank", "unallocated_receipts", "2249", Side.CREDIT, hot),
        AccountSpec(ADVANCE, "bank", "advance_funding", "2250", Side.CREDIT, hot),
        custody_fee_income(),
    ]


def custody_fee_income() -> AccountSpec:
    """The bank's custody fee income (R-C2); platforms onboarded before it are given it at
    their first fee run."""
    return AccountSpec(CUSTODY_FEE_INCOME, "bank", "custody_fee_income", "6021", Side.CREDIT,
                       AccountFlag.IN_ONLY)


def user_account_no(user_id: str) -> str:
    return f"U-{user_id}"


def user_account(user_id: str, role: str) -> AccountSpec:
    return AccountSpec(user_account_no(user_id), user_id, role, "2011", Side.CREDIT)
