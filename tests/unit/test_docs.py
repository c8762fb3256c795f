"""The docs stay true: the rule table is current and every reject code is documented."""

import importlib.util
from pathlib import Path

from cunguan.ledger.model import Reject

ROOT = Path(__file__).resolve().parents[2]


def test_rule_table_is_current() -> None:
    spec = importlib.util.spec_from_file_location("rule_table", ROOT / "scripts/rule_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs/rules.md").read_text() == module.render(), (
        "docs/rules.md is stale: run python scripts/rule_table.py")


def test_every_reject_code_is_in_errors_md() -> None:
    errors = (ROOT / "docs/ERRORS.md").read_text()
    missing = [code.value for code in Reject if f"`{code.value}`" not in errors]
    assert missing == []


def test_every_custody_code_is_in_errors_md() -> None:
    import re

    raised = re.compile(
        r'(?:CustodyError|KycError|CardError|PasswordError|RouteRefused|AccessError|ApiError'
        r'|SignatureError)\(\s*"([a-z_]+)"'
        r'|CustodyResult\(request_no, False, "([a-z_]+)"')
    codes: set[str] = set()
    for path in (ROOT / "src/cunguan").rglob("*.py"):
        for groups in raised.findall(path.read_text()):
            codes.update(g for g in groups if g)
    bids = (ROOT / "src/cunguan/custody/rules/bids.py").read_text()
    codes.update(re.findall(r'"([a-z_]+)"\),\n', bids))
    codes -= {"ok"}
    errors = (ROOT / "docs/ERRORS.md").read_text()
    assert len(codes) > 40
    assert [c for c in sorted(codes) if f"`{c}`" not in errors] == []
