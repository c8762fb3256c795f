"""Participants of BEPS (R-S1): direct participants (clearing banks with a settlement account),
indirect participants clearing through a direct one, and the two system roles (NPC, SAPS).

A bank code is the 12-digit CNAPS code (行号). Its check digit's algorithm is not public: a code
is checked for its form (12 ASCII digits) and for being registered, not for a check digit.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.core import limits
from cunguan.core.fields import FieldInvalid, digits


class Role(StrEnum):
    DIRECT = "direct"       # 直接参与者: a clearing bank, settles at SAPS
    INDIRECT = "indirect"   # 间接参与者: clears through a direct participant
    NPC = "npc"             # 国家处理中心: checks, nets, forwards
    SAPS = "saps"           # 清算账户管理系统: settles net positions


class Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Participant:
    """One member of the clearing system.

    Attributes:
      bank_code: its 12-digit CNAPS code.
      name: its name as registered.
      role: direct, indirect, NPC or SAPS.
      clearing_bank_code: the direct participant it clears through (itself when direct).
      status: open or closed (a closed bank sends and receives nothing).
    """

    bank_code: str
    name: str
    role: Role
    clearing_bank_code: str
    status: Status = Status.OPEN


def bank_code(value: object, field: str = "bank_code") -> str:
    """A CNAPS bank code: exactly 12 ASCII digits."""
    width = limits.clearing_bank_code_digits
    code = digits(value, field, min_length=width, max_length=width)
    if len(code) != width:
        raise FieldInvalid(field, f"must be {width} digits")
    return code


def clearing_bank(code: str, register: Mapping[str, Participant], field: str) -> Participant:
    """The open direct participant that clears for ``code``, or a named refusal."""
    member = register.get(code)
    if member is None or member.role in (Role.NPC, Role.SAPS):
        raise ClearingError(Refusal.BANK_UNKNOWN, f"{field}: no participant {code}",
                            field=field, bank_code=code)
    if member.status is not Status.OPEN:
        raise ClearingError(Refusal.BANK_CLOSED, f"{field}: {code} is closed",
                            field=field, bank_code=code)
    if member.role is Role.DIRECT:
        return member
    return clearing_bank(member.clearing_bank_code, register, field)
