"""A camt.053 large enough to be read in chunks (``camt_chunks``) imported end to end through
``cunguan reconcile import``, on both backends: every line stored once, a replay recognised,
and the same statement read the tree way stored the same."""

import re
from pathlib import Path

import pytest
from bench import reconcile_bench
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from cunguan.platform.cli.main import app
from cunguan.reconcile import formats
from cunguan.reconcile.formats import camt, camt_chunks
from cunguan.reconcile.store.tables import reconcile_lines
from tests.helpers import SUMMARY, TENANT
from tests.reconcile.integration.helpers import world

runner = CliRunner()
ENTRIES = 8_000   # 4.5 MB: above camt_chunks.CHUNKED_BYTES_MIN
#: The bench opens at 10^15 fen, above what the store keeps (limits.amount_fen_max).
OPENING_FEN = 10**12


def _statement() -> bytes:
    """The bench's statement of ENTRIES entries, opening at OPENING_FEN."""
    data = reconcile_bench.camt_file(ENTRIES)
    opening, closing = (int(a.replace(b".", b"")) for a in re.findall(
        rb'<Bal>.*?<Amt Ccy="CNY">([0-9.]+)</Amt>', data[:data.index(b"<Ntry>")]))
    for old, new in ((opening, OPENING_FEN), (closing, OPENING_FEN + closing - opening)):
        data = data.replace(f">{old // 100}.{old % 100:02d}<".encode(),
                            f">{new // 100}.{new % 100:02d}<".encode(), 1)
    return data


def test_r_b2_a_large_camt_statement_is_imported_in_chunks_line_for_line(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world(engine)
    data = _statement()
    assert camt_chunks.eligible(data)
    tree_read = camt._stream   # noted: the chunked read must not fall back on this file
    fell_back: list[bool] = []
    monkeypatch.setattr(camt, "_stream", lambda *a: fell_back.append(True) or tree_read(*a))
    path = tmp_path / "stmt.xml"
    path.write_bytes(data)
    db = ["--database-url", engine.url.render_as_string(hide_password=False), "reconcile"]
    added = runner.invoke(app, [*db, "accounts", "add", "0200001234567890123", "--bank", "ICBC",
                                "--kind", "custody", "-p", TENANT, "--mirror", SUMMARY,
                                "--operator", "ops-alice"])
    assert added.exit_code == 0, added.output
    imported = runner.invoke(app, [*db, "import", str(path), "--format", "camt.053",
                                   "--operator", "ops-alice"])
    assert imported.exit_code == 0, imported.output
    again = runner.invoke(app, [*db, "import", str(path), "--format", "camt.053",
                                "--operator", "ops-alice"])
    assert again.exit_code == 0 and "replayed" in again.output, again.output
    assert fell_back == []
    with engine.connect() as conn:
        stored = conn.execute(select(reconcile_lines.c.line_no, reconcile_lines.c.bank_ref,
                                     reconcile_lines.c.amount_fen, reconcile_lines.c.status)
                              .order_by(reconcile_lines.c.line_no)).all()
        assert conn.execute(select(func.count()).select_from(reconcile_lines)
                            ).scalar_one() == ENTRIES
    monkeypatch.setattr(camt_chunks, "CHUNKED_BYTES_MIN", len(data) + 1)   # the tree way
    tree = formats.read_statement(data, "camt.053")
    assert [(r.line_no, r.bank_ref, r.amount_fen, r.status) for r in stored] == [
        (line.line_no, line.bank_ref, line.amount_fen, str(line.status)) for line in tree.lines]
