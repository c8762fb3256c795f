"""Writes docs/ERRORS.md's custody table from ``cunguan.custody.rules.refusals``, its single
source: ``.venv/bin/python scripts/errors_table.py``; tests/project/test_docs.py checks it."""

import re
import sys
from pathlib import Path

from cunguan.custody.rules.refusals import EXPLAINED

ERRORS = Path(__file__).resolve().parent.parent / "docs" / "ERRORS.md"
START, END = "<!-- custody-refusals:start -->", "<!-- custody-refusals:end -->"


def table() -> str:
    """The custody table, one row per refusal, in the enum's order."""
    lines = ["| code | rule | meaning |", "|---|---|---|"]
    lines += [f"| `{code.value}` | {rule} | {meaning} |"
              for code, (rule, meaning) in EXPLAINED.items()]
    return "\n".join(lines)


def rewritten(text: str) -> str:
    return re.sub(re.escape(START) + ".*?" + re.escape(END),
                  lambda _: f"{START}\n{table()}\n{END}", text, flags=re.S)


if __name__ == "__main__":
    current = ERRORS.read_text()
    ERRORS.write_text(rewritten(current))
    sys.exit(0)
