"""R-B2 hand pairing (人工勾对): every argument of ``pair_in_transit`` refused by name, as the
break commands refuse theirs, and nothing written."""

import math
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from cunguan.core.errors import CunguanError
from cunguan.reconcile.store.tables import reconcile_matches
from tests.helpers import DAY
from tests.reconcile.integration.helpers import BANK_ACCOUNT, OPERATOR, world

_GOOD: dict[str, Any] = {"bank_keys": ["b1"], "book_keys": ["k1"], "explained_by": None}
_HOSTILE = [
    ("explained_by", 2**64), ("explained_by", 2**63), ("explained_by", 0),
    ("explained_by", -1), ("explained_by", True), ("explained_by", 1.0),
    ("explained_by", math.nan), ("explained_by", "１"),
    ("bank_keys", "b1"), ("bank_keys", [1]), ("bank_keys", [True]), ("bank_keys", ["b\x00"]),
    ("bank_keys", []), ("book_keys", None), ("book_keys", ["k1", "k1"]),
]


@pytest.mark.parametrize(("field", "value"), _HOSTILE)
def test_r_b2_a_hand_pair_with_a_hostile_argument_is_refused_by_name(
        engine: Engine, field: str, value: object) -> None:
    w = world(engine)
    with pytest.raises(CunguanError) as refused:
        w.recon.pair_in_transit(BANK_ACCOUNT, DAY, operator=OPERATOR,
                                **{**_GOOD, field: value})
    assert refused.value.code in {"field_invalid", "in_transit_item_not_open"}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(reconcile_matches)).scalar_one() == 0
