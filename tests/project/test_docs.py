"""The docs stay true: the rule table is current and every reject code is documented."""

import importlib.util
import re
from pathlib import Path
from typing import Any

from cunguan.custody.rules.refusals import Refusal
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
    raised = re.compile(
        r'(?:CustodyError|KycError|CardError|PasswordError|RouteRefused|AccessError|ApiError'
        r'|SignatureError)\(\s*"([a-z_]+)"'
        r'|CustodyResult\(request_no, False, "([a-z_]+)"')
    codes: set[str] = set()
    for path in (ROOT / "src/cunguan").rglob("*.py"):
        for groups in raised.findall(path.read_text()):
            codes.update(g for g in groups if g)
    codes.update(code.value for code in Refusal)
    codes -= {"ok"}
    errors = (ROOT / "docs/ERRORS.md").read_text()
    assert len(codes) > 40
    assert [c for c in sorted(codes) if f"`{c}`" not in errors] == []


def _script(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, ROOT / f"scripts/{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_errors_md_tables_are_written_from_each_contexts_refusal_enum() -> None:
    module: Any = _script("errors_table")
    current = (ROOT / "docs/ERRORS.md").read_text()
    assert module.rewritten(current) == current, (
        "docs/ERRORS.md is stale: run python scripts/errors_table.py")
    for context in module.CONTEXTS:
        start, end = module.markers(context)
        section = current[current.index(start):current.index(end)]
        enum = importlib.import_module(f"cunguan.{context}.rules.refusals").Refusal
        assert [c for c in enum if f"| `{c.value}` |" not in section] == [], context


def test_custody_refuses_only_with_codes_of_the_enum() -> None:
    """Below its edges, custody names a refusal by its ``Refusal`` member, never a bare string,
    so a misspelt code cannot reach a platform undocumented."""
    bare = re.compile(r'(?:CustodyError|KycError|CardError|PasswordError|RouteRefused'
                      r'|WithdrawalRefused|OriginError)\(\s*"|CustodyResult\([^()\n]*False,\s*"')
    custody = ROOT / "src/cunguan/custody"
    below_edges = [p for part in ("handlers", "store", "rules")
                   for p in (custody / part).rglob("*.py")] + [custody / "cards.py"]
    assert len(below_edges) > 10
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in below_edges
             for m in bare.finditer(p.read_text())]
    assert found == []
