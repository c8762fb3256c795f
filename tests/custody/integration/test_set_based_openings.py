"""Account openings set-based (R-C3, R-C4, R-C5): many openings in one DB transaction, each
answering exactly as one at a time in the same order would — one person, one mobile, one
user id and one bound card per platform, counting the openings before it in the call."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from cunguan.custody.handlers.base import CustodyResult
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.handlers.users import Opening
from cunguan.custody.rules.kyc import IdKind
from tests.custody_helpers import PASSWORD, PLATFORM, icbc_card, resident_id, services


def _opening(custody: LendingService, no: int, user: int, person: int, mobile: int,
             card: int, role: str = "lender") -> Opening | CustodyResult:
    """An opening; a person, mobile or card number of 9 is malformed (refused early)."""
    return custody.opening(
        f"o-{no}", user_id=f"u{user}", role=role, name=f"用户{person}",
        id_kind=IdKind.RESIDENT_ID, id_no="12345" if person == 9 else resident_id(person),
        mobile="12" if mobile == 9 else f"138{mobile:08d}",
        card_no="1234" if card == 9 else icbc_card(card), password=PASSWORD)


def _rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        users = conn.execute(text("SELECT user_id, id_no, mobile, status FROM custody_users "
                                  "ORDER BY user_id")).all()
        cards = conn.execute(text("SELECT card_no, user_id, status FROM custody_cards "
                                  "ORDER BY card_no")).all()
        accounts = conn.execute(text("SELECT account_no FROM accounts WHERE account_no "
                                     "LIKE 'U-%' ORDER BY account_no")).scalars().all()
    return [list(map(tuple, users)), list(map(tuple, cards)), list(accounts)]


def test_r_c4_openings_in_one_call_count_the_ones_before_them(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    openings = [_opening(custody, 1, 1, 1, 1, 1), _opening(custody, 2, 2, 1, 2, 2),
                _opening(custody, 3, 3, 3, 1, 3), _opening(custody, 4, 1, 4, 4, 4),
                _opening(custody, 5, 5, 5, 5, 1), _opening(custody, 6, 6, 6, 6, 6)]
    answers = custody.open_users(PLATFORM, [o for o in openings if isinstance(o, Opening)])
    assert [a.code for a in answers] == ["ok", "person_has_account", "mobile_taken",
                                         "user_exists", "card_bound_elsewhere", "ok"]
    assert answers[1].data["user_id"] == "u1"
    again = custody.open_users(PLATFORM, [o for o in openings[:2] if isinstance(o, Opening)])
    assert [(a.code, a.replayed) for a in again] == [("ok", True), ("person_has_account", True)]


_calls = st.lists(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 4), st.integers(0, 9),
                                     st.integers(0, 9), st.integers(0, 9)),
                           min_size=1, max_size=5), min_size=1, max_size=3)


@settings(max_examples=10, deadline=None)
@given(calls=_calls)
def test_r_c4_set_based_and_single_openings_agree(calls: list[list[Any]]) -> None:
    """The same openings (request no., user, person, mobile, card; a number of 9 malformed)
    sent in set-based calls or one at a time end the same: the same answers (codes,
    replays) and the same users, cards and accounts."""
    from tests.conftest import fresh_engine

    ends = []
    made: dict[tuple[int, ...], Opening | CustodyResult] = {}
    for mode in ("many", "single"):
        with fresh_engine("sqlite", label=mode) as engine:
            custody, _, _, _ = services(engine)
            answers: list[tuple[str, bool]] = []
            for call in calls:
                # hashed once for both modes (argon2id is the slow part)
                openings = [made.setdefault(tuple(f), _opening(custody, *f)) for f in call]
                valid = [o for o in openings if isinstance(o, Opening)]
                done = iter(custody.open_users(PLATFORM, valid) if mode == "many" and valid
                            else [custody.open_users(PLATFORM, [o])[0] for o in valid])
                answers += [(a.code, a.replayed) for a in (
                    o if isinstance(o, CustodyResult) else next(done) for o in openings)]
            ends.append((answers, _rows(engine)))
    assert ends[0] == ends[1]
