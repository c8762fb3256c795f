"""The net debit cap (净借记限额, R-S3): what a direct participant may owe the others at any
moment before settlement.

cap = pledged collateral × haircut + credit line + earmarked funds (圈存资金). The available cap is
the cap less the current net debit position. An item passes when it does not push the payer's net
debit beyond its cap. Collateral is valued in fen at face; the haircut (质押率) is in basis points
and the product is rounded down — a bank never gets a fen of cap its bonds do not cover.
"""

from dataclasses import dataclass

from cunguan.core.errors import invariant

BPS_WHOLE = 10_000


@dataclass(frozen=True, slots=True)
class NetDebitCap:
    """One direct participant's cap and its three parts (all fen, ≥ 0).

    Attributes:
      collateral_fen: face value of the bonds pledged (国债, 央票, 政策性金融债).
      haircut_bps: the share of the face value that counts (质押率), 0..10,000.
      credit_line_fen: the credit line granted by the central bank (授信额度).
      earmarked_fen: settlement-account funds set aside (圈存资金), held on the ledger.
    """

    collateral_fen: int = 0
    haircut_bps: int = 0
    credit_line_fen: int = 0
    earmarked_fen: int = 0

    def __post_init__(self) -> None:
        invariant(min(self.collateral_fen, self.credit_line_fen, self.earmarked_fen) >= 0,
                  "cap parts are never negative")
        invariant(0 <= self.haircut_bps <= BPS_WHOLE, "haircut_bps within 0..10000")

    @property
    def collateral_value_fen(self) -> int:
        return self.collateral_fen * self.haircut_bps // BPS_WHOLE

    @property
    def cap_fen(self) -> int:
        return self.collateral_value_fen + self.credit_line_fen + self.earmarked_fen


def net_debit_fen(position_fen: int) -> int:
    """The net debit of a position (positive = net credit, negative = net debit)."""
    return max(0, -position_fen)


def available_cap_fen(cap: NetDebitCap, position_fen: int) -> int:
    """Cap less the current net debit (R-S3); may be negative after the cap was lowered."""
    return cap.cap_fen - net_debit_fen(position_fen)


def passes_cap(cap: NetDebitCap, payer_position_fen: int, amount_fen: int) -> bool:
    """Whether the payer bank may take on ``amount_fen`` more net debit (R-S3)."""
    return net_debit_fen(payer_position_fen - amount_fen) <= cap.cap_fen


def warnings_crossed(cap: NetDebitCap, before_fen: int, after_fen: int,
                     used_pcts: tuple[int, ...]) -> tuple[int, ...]:
    """The warning thresholds (per cent of the cap used) a move from position ``before_fen`` to
    ``after_fen`` crosses upwards: each raises one event (R-S3 risk warning)."""
    if cap.cap_fen == 0:
        return ()
    used_before = net_debit_fen(before_fen) * 100
    used_after = net_debit_fen(after_fen) * 100
    return tuple(p for p in used_pcts
                 if used_before < p * cap.cap_fen <= used_after)
