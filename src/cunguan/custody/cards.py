"""Bank cards: Luhn check and card BIN look-up (R-C4, R-C6).

The BIN table ships as ``cunguan/data/card_bin.csv`` (from hexindai/bcbc v0.0.16, MIT; see
``data/LICENSE.card-bin``). A BIN can appear more than once with different card lengths, so the
key is (prefix, length): the longest prefix whose length matches the card wins. Operators can load
a newer table with ``BinTable.from_csv``.
"""

import csv
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path

from stdnum import luhn
from stdnum.exceptions import ValidationError

from cunguan.core import fields, limits
from cunguan.core.errors import RuleError
from cunguan.custody.rules.refusals import Refusal


class CardType(StrEnum):
    DEBIT = "DC"
    CREDIT = "CC"
    SEMI_CREDIT = "SCC"
    PREPAID = "PC"


@dataclass(frozen=True, slots=True)
class CardBin:
    """What a card's BIN says: issuing bank code and name, card type."""

    prefix: str
    bank_code: str
    bank_name: str
    card_type: CardType
    length: int


class CardError(RuleError):
    """A card that cannot be used."""


class BinTable:
    def __init__(self, bins: list[CardBin]) -> None:
        self._by_key = {(b.prefix, b.length): b for b in reversed(bins)}  # first entry wins
        self._prefix_lengths = sorted({len(b.prefix) for b in bins}, reverse=True)

    @classmethod
    def from_csv(cls, bins_csv: Path | str, names_csv: Path | str) -> "BinTable":
        with open(names_csv, encoding="utf-8") as handle:
            names = {row["bank"]: row["name"] for row in csv.DictReader(handle)}
        with open(bins_csv, encoding="utf-8") as handle:
            bins = [CardBin(row["bin"], row["bank"], names.get(row["bank"], row["bank"]),
                            CardType(row["type"]), int(row["length"]))
                    for row in csv.DictReader(handle)]
        return cls(bins)

    @classmethod
    def shipped(cls) -> "BinTable":
        data = resources.files("cunguan") / "data"
        with resources.as_file(data / "card_bin.csv") as bins, \
                resources.as_file(data / "bank_names.csv") as names:
            return cls.from_csv(bins, names)

    def lookup(self, card_no: str) -> CardBin | None:
        for size in self._prefix_lengths:
            found = self._by_key.get((card_no[:size], len(card_no)))
            if found is not None:
                return found
        return None


def normalize_card_no(card_no: object) -> str:
    """A card no. as the bank stores and compares it: white space, inner spaces and hyphens
    removed, ASCII digits only ("6222 0212 …" and "62220212…" are one card, "６２２２…" is
    none). Every place a card no. comes in goes through here, so one card is one key."""
    try:
        return fields.digits(card_no, "card_no", min_length=limits.card_no_digits_min,
                             max_length=limits.card_no_digits_max)
    except fields.FieldInvalid as exc:
        raise CardError(Refusal.CARD_NO_INVALID,
                        f"a card no. is {limits.card_no_digits_min} to "
                        f"{limits.card_no_digits_max} ASCII digits"
                        ) from exc


def validate_card_no(card_no: str, table: BinTable) -> CardBin:
    """A debit card number that passes Luhn and whose BIN is known (R-C4); give it
    normalized (``normalize_card_no``), as it will be stored."""
    digits = normalize_card_no(card_no)
    try:
        luhn.validate(digits)
    except ValidationError as exc:
        raise CardError(Refusal.CARD_NO_INVALID, "the card no. fails its check digit") from exc
    found = table.lookup(digits)
    if found is None:
        raise CardError(Refusal.CARD_BIN_UNKNOWN, "the card's bank cannot be identified")
    if found.card_type is not CardType.DEBIT:
        raise CardError(Refusal.CARD_NOT_DEBIT, f"only debit cards; this is {found.card_type.name}")
    return found
