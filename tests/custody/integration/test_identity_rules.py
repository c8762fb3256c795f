"""Identity fields normalized once, at the domain boundary (R-C4, R-A1), on both backends: a
card no., mobile or ID no. is stored as it is compared, so one card, one mobile and one person
each have one account per platform, whichever way they were typed and wherever they came in."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.rules.kyc import IdKind
from cunguan.custody.store.tables import custody_cards, custody_users
from tests.custody_helpers import PASSWORD, PLATFORM, icbc_card, open_user, resident_id, services

#: A refused malformed field: the domain's own code, or field_invalid where the service's
#: field check (custody/rules/fields.py) saw it first.
MOBILE_REFUSED = {"mobile_invalid", "field_invalid"}


def _spaced(card_no: str) -> str:
    return " ".join(card_no[i:i + 4] for i in range(0, len(card_no), 4))


def _open(custody: LendingService, seq: int, **overrides: str) -> object:
    args = {"name": f"用户{seq}", "id_no": resident_id(seq), "mobile": f"139{seq:08d}",
            "card_no": icbc_card(seq)}
    args.update(overrides)
    return custody.open_user(PLATFORM, f"open-x{seq}", user_id=f"x{seq}", role="lender",
                             id_kind=IdKind.RESIDENT_ID, password=PASSWORD, **args)


def _stored(engine: Engine, user_id: str) -> tuple[str, str, list[str]]:
    with engine.connect() as conn:
        user = conn.execute(select(custody_users.c.mobile, custody_users.c.id_no).where(
            custody_users.c.user_id == user_id)).one()
        cards = conn.execute(select(custody_cards.c.card_no).where(
            custody_cards.c.user_id == user_id)).scalars().all()
    return user.mobile, user.id_no, list(cards)


def test_r_c4_the_same_card_with_spaces_is_refused_for_a_second_account(engine: Engine
                                                                        ) -> None:
    custody, _, _, _ = services(engine)
    first = _open(custody, 1, card_no=_spaced(icbc_card(1)))
    assert first.ok, first   # type: ignore[attr-defined]
    assert _stored(engine, "x1")[2] == [icbc_card(1)]        # stored as compared
    second = _open(custody, 2, card_no=icbc_card(1))
    assert second.code == "card_bound_elsewhere"             # type: ignore[attr-defined]
    third = _open(custody, 3, card_no=f" {icbc_card(1)[:6]}-{icbc_card(1)[6:]}\n")
    assert third.code == "card_bound_elsewhere"              # type: ignore[attr-defined]


def test_r_c4_a_card_bound_by_card_binding_is_one_card_however_typed(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    owner, other = open_user(custody, 1), open_user(custody, 2)
    card = icbc_card(50)
    assert custody.bind_card(PLATFORM, "bind-1", owner, _spaced(card)).ok
    assert custody.bind_card(PLATFORM, "bind-2", other, card).code == "card_bound_elsewhere"
    replaced = custody.replace_card(PLATFORM, "replace-2", other, _spaced(icbc_card(2)),
                                    f"{card[:4]}-{card[4:]}")
    assert replaced.code == "card_bound_elsewhere"
    # Unbinding and re-binding by the other form find the same card.
    assert custody.unbind_card(PLATFORM, "unbind-1", owner, card).ok
    assert custody.bind_card(PLATFORM, "bind-1b", owner, f"{card}\n").ok
    assert _stored(engine, owner)[2].count(card) == 1


def test_r_c4_full_width_and_arabic_indic_mobiles_are_refused(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    for seq, mobile in enumerate(["１３８００１３８０００", "13８００１３８０００",
                                  "13٨٠٠١٣٨٠٠٠", "١٣٨٠٠١٣٨٠٠٠", "13800138000\x00"]):
        assert _open(custody, seq, mobile=mobile).code in MOBILE_REFUSED  # type: ignore
    assert _open(custody, 9, mobile="13800138000\n").ok                  # type: ignore


def test_r_c4_a_mobile_with_a_trailing_newline_is_stored_normalized(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    opened = _open(custody, 1, mobile="13800138000\n", id_no=resident_id(1).lower() + " ")
    assert opened.ok, opened                                  # type: ignore[attr-defined]
    mobile, id_no, _ = _stored(engine, "x1")
    assert mobile == "13800138000" and id_no == resident_id(1)
    # reset_password compares the normalized forms too: the typed ones match.
    reset = custody.reset_password(PLATFORM, "reset-1", "x1", id_no=f" {resident_id(1)}",
                                   mobile="138 0013 8000\n", card_no=_spaced(icbc_card(1)),
                                   new_password="135790")
    assert reset.ok, reset


def test_r_c4_one_mobile_per_person_on_a_platform(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    assert _open(custody, 1, mobile="13800138000").ok         # type: ignore[attr-defined]
    again = _open(custody, 2, mobile="138-0013-8000")
    assert again.code == "mobile_taken"                       # type: ignore[attr-defined]
    assert _open(custody, 3, mobile="13800138003").ok         # type: ignore[attr-defined]


def test_r_c4_every_typing_of_a_bound_card_is_refused_to_another_account(engine: Engine
                                                                         ) -> None:
    """Property: a card bound to one account, typed with any separators, binds to no other."""
    custody, _, _, _ = services(engine)
    open_user(custody, 1)
    card, seqs = icbc_card(1), itertools.count(100)

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cuts=st.lists(st.integers(1, len(card) - 1), max_size=4, unique=True),
           separator=st.sampled_from([" ", "-", "\t", "\u3000"]), padded=st.booleans())
    def typed_for_another(cuts: list[int], separator: str, padded: bool) -> None:
        typed = card
        for cut in sorted(cuts, reverse=True):
            typed = typed[:cut] + separator + typed[cut:]
        if padded:
            typed = f"  {typed}\n"
        refused = _open(custody, next(seqs), card_no=typed)
        # an ideographic space is no separator the domain removes: a malformed card no.
        assert refused.code in ("card_bound_elsewhere", "card_no_invalid",  # type: ignore
                                "field_invalid")
        if separator != "\u3000" or not cuts:
            assert refused.code == "card_bound_elsewhere"  # type: ignore[attr-defined]

    typed_for_another()


# -- migration 0018: stored rows normalized, conflicts refused -------------------------------
SIXTEEN_DIGITS = "6222021234567894"


def _downgraded_with(engine: Engine, users: list[tuple[str, str, str]],
                     cards: list[tuple[str, str, str]]) -> None:
    """At 0017, with users (id, id no., mobile) and cards (card no., user, status) stored as
    the older code stored them."""
    from alembic import command
    from sqlalchemy import insert

    from cunguan.db.connection import alembic_config

    custody, _, _, _ = services(engine)
    command.downgrade(alembic_config(engine), "0017")
    now = custody.clock()
    with engine.begin() as conn:
        for user_id, id_no, mobile in users:
            conn.execute(insert(custody_users).values(
                tenant_id=PLATFORM, user_id=user_id, kind="person", role="lender",
                status="active", name="甲", id_kind="resident_id", id_no=id_no, mobile=mobile,
                account_no=f"U-{user_id}", failed_attempts=0, risk_tolerance=3, has_bid=0,
                created_at=now))
        for card_no, user_id, status in cards:
            conn.execute(insert(custody_cards).values(
                tenant_id=PLATFORM, card_no=card_no, user_id=user_id, bank_code="ICBC",
                bank_name="工商银行", quick_pay=1, status=status, bound_at=now))


def test_0018_normalizes_stored_mobiles_cards_and_id_nos(engine: Engine) -> None:
    from cunguan.db.connection import upgrade

    card = SIXTEEN_DIGITS   # spaced, it still fits the column (PostgreSQL refused longer)
    _downgraded_with(engine, [("a", resident_id(1).lower(), "13800138000\n"),
                              ("b", resident_id(2), "13９00139000")],
                     [(_spaced(card), "a", "bound"), (card, "a", "unbound")])
    upgrade(engine)
    assert _stored(engine, "a") == ("13800138000", resident_id(1).upper(), [card])
    assert _stored(engine, "b")[0] == "13900139000"


def test_0018_refuses_to_upgrade_when_normalized_accounts_would_share(engine: Engine) -> None:
    import pytest
    from alembic import command

    from cunguan.db.connection import alembic_config, current_revision, upgrade

    card = SIXTEEN_DIGITS
    _downgraded_with(engine, [("a", resident_id(1), "13800138000"),
                              ("b", resident_id(2), "138 0013 8000"),
                              ("c", resident_id(3), "13700000003")],
                     [(card, "a", "bound"), (_spaced(card), "c", "bound")])
    with pytest.raises(Exception, match="migration 0018 refused") as caught:
        upgrade(engine)
    message = str(caught.value)
    assert "mobile 13800138000 would belong to users a, b" in message
    assert f"card {card} would belong to users a, c" in message
    assert current_revision(engine) == "0017"       # nothing changed
    assert _stored(engine, "b")[0] == "138 0013 8000"
    command.stamp(alembic_config(engine), "0017")
