"""Every card number, resident ID no. and mobile the docs show passes the check the bank applies
to it (R-C4): an example copied from the docs must be accepted, not refused."""

import re
from datetime import date
from pathlib import Path

from cunguan.custody.cards import BinTable, validate_card_no
from cunguan.custody.rules import kyc

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
#: Long digit strings in the docs that are not a person's or a card's number.
NOT_PERSONAL = {"1234567812345678": "the SM2 default signer ID of GM/T 0009"}
#: A whole number (not part of a longer word, an identifier or 1_000_000).
_LONG = re.compile(r"(?<![\w.\-])\d{15,18}[\dX]?(?![\w.\-])")
_MOBILE = re.compile(r"(?<![\w.\-])1\d{10}(?![\w.\-])")


def _found(pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    return [(path.name, match) for path in DOCS for match in pattern.findall(path.read_text())
            if match not in NOT_PERSONAL]


def _is_id_shaped(number: str) -> bool:
    """18 characters whose 7th to 14th are a birth date: a resident ID no., not a card."""
    if len(number) != 18:
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def test_r_c4_every_card_number_in_the_docs_passes_luhn_and_its_bin() -> None:
    table = BinTable.shipped()
    cards = [(doc, no) for doc, no in _found(_LONG) if not _is_id_shaped(no)]
    assert cards, "the docs show no card number: is the pattern still right?"
    refused = []
    for doc, card_no in cards:
        try:
            validate_card_no(card_no, table)
        except Exception as exc:
            refused.append((doc, card_no, str(exc)))
    assert refused == []


def test_r_c4_every_id_no_and_mobile_in_the_docs_passes_its_check() -> None:
    ids = [(doc, no) for doc, no in _found(_LONG) if _is_id_shaped(no)]
    mobiles = _found(_MOBILE)
    assert ids and mobiles, "the docs show no ID no. or mobile: is the pattern still right?"
    refused = []
    for (doc, number), check in [*((i, kyc.normalize_id_no) for i in ids),
                                 *((m, kyc.normalize_mobile) for m in mobiles)]:
        try:
            check(number)
        except Exception as exc:
            refused.append((doc, number, str(exc)))
    assert refused == []
