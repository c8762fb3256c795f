"""Hostile files read in a child process, so that a parser crash (a segfault in a C library)
kills the child, not the test run: the child prints ``refused <code> <message>`` or
``accepted``."""

import subprocess
import sys
import textwrap


def read_in_child(module: str, function: str, *args: object) -> subprocess.CompletedProcess[str]:
    """``module.function(*args)`` (``args`` as their ``repr``) in a child Python."""
    code = textwrap.dedent(f"""
        from cunguan.core.errors import CunguanError
        from {module} import {function}
        try:
            {function}(*{args!r})
        except CunguanError as exc:
            print("refused", exc.code, exc.message)
        else:
            print("accepted")
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
