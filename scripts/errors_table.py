"""Writes docs/ERRORS.md's refusal tables, one per context, from each context's
``rules/refusals.py`` (its single source): ``.venv/bin/python scripts/errors_table.py``;
tests/project/test_docs.py checks they are current."""

import importlib
import re
import sys
from pathlib import Path

ERRORS = Path(__file__).resolve().parent.parent / "docs" / "ERRORS.md"
#: The contexts whose refusals ERRORS.md tables, by their marker's name.
CONTEXTS = ("custody", "reconcile", "clearing")


def explained(context: str) -> dict[object, tuple[str, str]]:
    module = importlib.import_module(f"cunguan.{context}.rules.refusals")
    return dict(module.EXPLAINED)


def table(context: str = "custody") -> str:
    """One context's table, one row per refusal, in the enum's order."""
    lines = ["| code | rule | meaning |", "|---|---|---|"]
    lines += [f"| `{code.value}` | {rule} | {meaning} |"  # type: ignore[attr-defined]
              for code, (rule, meaning) in explained(context).items()]
    return "\n".join(lines)


def markers(context: str) -> tuple[str, str]:
    return f"<!-- {context}-refusals:start -->", f"<!-- {context}-refusals:end -->"


def rewritten(text: str) -> str:
    for context in CONTEXTS:
        start, end = markers(context)
        text = re.sub(re.escape(start) + ".*?" + re.escape(end),
                      lambda _, c=context, s=start, e=end: f"{s}\n{table(c)}\n{e}",
                      text, flags=re.S)
    return text


if __name__ == "__main__":
    current = ERRORS.read_text()
    ERRORS.write_text(rewritten(current))
    sys.exit(0)
