"""Reconciliation benchmark (issue 21): the matching engine on 1,000,000 lines a side against a
plain Polars inner join of the same frames, and a 1,000,000-entry camt.053 import against
``lxml.etree.iterparse`` alone on the same file. Both in the same run; medians of ``ROUNDS``.

Run alone with ``PYTHONPATH=src python -m bench.reconcile_bench`` (writes
bench/results/reconcile.json), or with the rest by ``make bench``.

The frames (seeded, shuffled): ``PAIRS`` book items with a statement line each, of which 1 %
(``PER_CLASS``) per pair class disagrees (``amount_mismatch``, ``status_mismatch``,
``fee_mismatch``), the rest agree (85 % matched by end-to-end reference, 10 % by the bank's
reference, 5 % by amount and date with the bank a day late on half of them); ``PER_CLASS``
statement lines the books do not know (``bank_only``, overdue) and as many book items the bank
does not show (``book_only``, overdue); ``PER_CLASS`` ``duplicate`` breaks (half a second line
with a bank reference already seen, half a second book item with a reference already seen);
0.5 % (``IN_TRANSIT``) unmatched and still within T+N, half a side. Each side is 1,000,000 rows.
The bench fails when the engine's count of breaks per class, matches or items in transit is not
what was planted.
"""

import gc
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl
from lxml import etree

from cunguan.reconcile import formats
from cunguan.reconcile.formats import camt
from cunguan.reconcile.rules import grouping, matching, pairing
from cunguan.reconcile.store import statements as statement_store

LINES = 1_000_000
PER_CLASS = LINES // 100          # 1 % per break class
IN_TRANSIT = LINES // 200         # 0.5 % in transit, half on each side
PAIR_BREAK_CLASSES = ("amount_mismatch", "status_mismatch", "fee_mismatch")
#: Rows of each side that are neither a 1:1 pair nor a planted pair break.
_SINGLES_PER_SIDE = PER_CLASS + PER_CLASS // 2 + IN_TRANSIT // 2
PAIRS = LINES - _SINGLES_PER_SIDE  # every pair, agreeing or not
AGREEING = PAIRS - len(PAIR_BREAK_CLASSES) * PER_CLASS
ACCOUNTS = 20
AS_OF = date(2026, 12, 7)
SEED = 21
ROUNDS = 3
TARGET_MATCH_S = 2.0
TARGET_MATCH_VS_JOIN = 4.0
TARGET_IMPORT_VS_ITERPARSE = 0.5
CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _side(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    return frame.select([pl.col(n).cast(t) for n, t in schema.items()])


def _pairs() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every 1:1 pair: index i < AGREEING agrees, then PER_CLASS of each pair break class."""
    i = pl.col("i")
    mode = i % 20   # 0..16: end-to-end reference, 17..18: bank reference, 19: amount and date
    klass = (pl.when(i < AGREEING).then(pl.lit(""))
             .when(i < AGREEING + PER_CLASS).then(pl.lit("amount_mismatch"))
             .when(i < AGREEING + 2 * PER_CLASS).then(pl.lit("status_mismatch"))
             .otherwise(pl.lit("fee_mismatch")))
    base = pl.DataFrame({"i": pl.int_range(PAIRS, eager=True)}).with_columns(
        klass=klass,
        mode=pl.when(klass != "").then(pl.lit(0)).otherwise(mode),
        account_no=pl.lit("ACC") + (i % ACCOUNTS).cast(pl.String).str.zfill(2),
        direction=pl.when(i % 2 == 0).then(pl.lit("credit")).otherwise(pl.lit("debit")),
        amount_fen=1_000 + i * 3,
        value_date=pl.lit(AS_OF) - pl.duration(days=i % 3),
        e2e=pl.lit("E") + i.cast(pl.String).str.zfill(8),
        bref=pl.lit("B") + i.cast(pl.String).str.zfill(8),
        cp=pl.when(i % 3 == 0).then(pl.lit("")).otherwise(
            pl.lit("62220") + (i % 997).cast(pl.String)),
    )
    bank = base.select(
        key=pl.lit("S1L") + i.cast(pl.String).str.zfill(8),
        account_no="account_no", line_no=i + 1,
        value_date=pl.when((pl.col("mode") == 19) & (i % 40 == 19))
        .then(pl.col("value_date") + pl.duration(days=1)).otherwise("value_date"),
        booking_date="value_date", direction="direction",
        amount_fen=pl.when(pl.col("klass") == "amount_mismatch")
        .then(pl.col("amount_fen") + 1).otherwise("amount_fen"),
        bank_ref="bref",
        end_to_end_ref=pl.when(pl.col("mode") < 17).then("e2e").otherwise(pl.lit("")),
        counterparty_account="cp",
        status=pl.when(pl.col("klass") == "status_mismatch").then(pl.lit("returned"))
        .otherwise(pl.lit("booked")),
        fee_fen=pl.when(pl.col("klass") == "fee_mismatch").then(pl.lit(200)).otherwise(0),
        original_ref=pl.when(pl.col("klass") == "status_mismatch").then("e2e")
        .otherwise(pl.lit("")))
    book = base.select(
        key=pl.lit("K") + i.cast(pl.String).str.zfill(8),
        account_no="account_no", value_date="value_date", direction="direction",
        amount_fen="amount_fen",
        reference=pl.when(pl.col("mode") < 17).then("e2e")
        .when(pl.col("mode") < 19).then("bref").otherwise(pl.lit("")),
        counterparty_account="cp", status=pl.lit("booked"), fee_fen=pl.lit(0),
        business_class=pl.when(pl.col("direction") == "credit").then(pl.lit("receipt"))
        .otherwise(pl.lit("payout")))
    return bank, book


def _singles(count: int, prefix: str, amount_base: int, age_days: int) -> pl.DataFrame:
    """Rows no other row matches: own references, amounts no one else has."""
    j = pl.col("j")
    return pl.DataFrame({"j": pl.int_range(count, eager=True)}).with_columns(
        key=pl.lit(prefix) + j.cast(pl.String).str.zfill(8),
        account_no=pl.lit("ACC") + (j % ACCOUNTS).cast(pl.String).str.zfill(2),
        direction=pl.when(j % 2 == 0).then(pl.lit("credit")).otherwise(pl.lit("debit")),
        amount_fen=amount_base + j * 3,
        value_date=pl.lit(AS_OF) - pl.duration(days=age_days),
        ref=pl.lit(prefix + "R") + j.cast(pl.String).str.zfill(8))


def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    """(bank, books): ``LINES`` rows each, shuffled with ``SEED``."""
    bank_pairs, book_pairs = _pairs()
    bank_only = _singles(PER_CLASS, "S3L", 5_000_000_000, 5)
    book_only = _singles(PER_CLASS, "KB", 6_000_000_000, 5)
    bank_wait = _singles(IN_TRANSIT // 2, "S4L", 7_000_000_000, 0)
    book_wait = _singles(IN_TRANSIT // 2, "KW", 8_000_000_000, 0)
    bank_singles = pl.concat([bank_only, bank_wait]).select(
        "key", "account_no", line_no=LINES + pl.int_range(pl.len()), value_date="value_date",
        booking_date="value_date", direction="direction", amount_fen="amount_fen",
        bank_ref="ref", end_to_end_ref=pl.col("ref") + "E", counterparty_account=pl.lit(""),
        status=pl.lit("booked"), fee_fen=pl.lit(0), original_ref=pl.lit(""))
    book_singles = pl.concat([book_only, book_wait]).select(
        "key", "account_no", "value_date", "direction", "amount_fen", reference="ref",
        counterparty_account=pl.lit(""), status=pl.lit("booked"), fee_fen=pl.lit(0),
        business_class=pl.lit(""))
    # Duplicates of agreeing pairs matched by end-to-end reference: keys sorting after theirs.
    half = PER_CLASS // 2
    bank_dupes = (bank_pairs.head(half * 20).filter(pl.col("end_to_end_ref") != "").head(half)
                  .with_columns(key=pl.col("key").str.replace("S1L", "S2L"),
                                line_no=pl.col("line_no") + 2 * LINES,
                                amount_fen=pl.col("amount_fen") + 9_000_000_000,
                                end_to_end_ref=pl.lit("")))
    book_dupes = (book_pairs.slice(half * 20, half * 20).filter(pl.col("reference") != "")
                  .head(half).with_columns(key=pl.lit("KD") + pl.col("key"),
                                           amount_fen=pl.col("amount_fen") + 9_500_000_000))
    bank = _side(pl.concat([bank_pairs, bank_singles.select(bank_pairs.columns), bank_dupes]),
                 matching.BANK_SCHEMA)
    books = _side(pl.concat([book_pairs, book_singles.select(book_pairs.columns), book_dupes]),
                  matching.BOOK_SCHEMA)
    assert bank.height == LINES and books.height == LINES, (bank.height, books.height)
    return (bank.sample(fraction=1.0, shuffle=True, seed=SEED),
            books.sample(fraction=1.0, shuffle=True, seed=SEED + 1))


def planted() -> dict[str, int]:
    """What the engine must find: breaks per class, matched rows, rows in transit."""
    return {"amount_mismatch": PER_CLASS, "status_mismatch": PER_CLASS,
            "fee_mismatch": PER_CLASS, "bank_only": PER_CLASS, "book_only": PER_CLASS,
            "duplicate": PER_CLASS, "matched_rows": 2 * AGREEING,
            "in_transit_rows": IN_TRANSIT}


def found(result: matching.MatchResult) -> dict[str, int]:
    totals = result.break_totals().group_by("break_class").len()
    counts = {row["break_class"]: row["len"] for row in totals.iter_rows(named=True)}
    counts["matched_rows"] = result.matches.height
    counts["in_transit_rows"] = result.in_transit.filter(~pl.col("overdue")).height
    return counts


def raw_join(bank: pl.DataFrame, books: pl.DataFrame) -> pl.DataFrame:
    """The reference: a plain inner join on the serial no. (end-to-end reference = the book's
    reference; empty ones left out, as they name nothing)."""
    return (bank.filter(pl.col("end_to_end_ref") != "")
            .join(books.filter(pl.col("reference") != ""), left_on="end_to_end_ref",
                  right_on="reference", how="inner"))


def _alternating(works: dict[str, Callable[[], Any]],
                 rounds: int = ROUNDS) -> dict[str, tuple[list[float], Any]]:
    """Each work timed ``rounds`` times, the works taking turns within each round (so that a
    change of the machine's load falls on all of them), with the last round's output."""
    times: dict[str, list[float]] = {name: [] for name in works}
    outs: dict[str, Any] = {}
    for _ in range(rounds):
        for name, work in works.items():
            outs[name] = None
            gc.collect()
            start = time.perf_counter()
            outs[name] = work()
            times[name].append(time.perf_counter() - start)
    return {name: (times[name], outs[name]) for name in works}


# camt.053 ---------------------------------------------------------------------------------

_ENTRY = (
    "<Ntry><Amt Ccy=\"CNY\">{amount}</Amt><CdtDbtInd>{cd}</CdtDbtInd>"
    "<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
    "<AcctSvcrRef>BK{n:09d}</AcctSvcrRef>"
    "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{fam}</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn>"
    "</BkTxCd>{fee}<NtryDtls><TxDtls><Refs><EndToEndId>E{n:09d}</EndToEndId></Refs>"
    "<RltdPties><{party}><Pty><Nm>客户{cp}</Nm></Pty></{party}><{party}Acct><Id><Othr>"
    "<Id>62220{cp:010d}</Id></Othr></Id></{party}Acct></RltdPties>"
    "<RmtInf><Ustrd>{what}</Ustrd></RmtInf>{rtr}</TxDtls></NtryDtls></Ntry>\n")
_RTR = "<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>账户已销户</AddtlInf></RtrInf>"
_FEE = "<Chrgs><TtlChrgsAndTaxAmt Ccy=\"CNY\">2.00</TtlChrgsAndTaxAmt></Chrgs>"
_HEAD = (
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{ns}\"><BkToCstmrStmt>"
    "<GrpHdr><MsgId>BENCH-{day}</MsgId><CreDtTm>{day}T23:59:59+08:00</CreDtTm></GrpHdr>"
    "<Stmt><Id>BENCH-STMT-{day}</Id><CreDtTm>{day}T23:59:59+08:00</CreDtTm>"
    "<FrToDt><FrDtTm>{day}T00:00:00+08:00</FrDtTm><ToDtTm>{day}T23:59:59+08:00</ToDtTm>"
    "</FrToDt><Acct><Id><Othr><Id>0200001234567890123</Id></Othr></Id><Ccy>CNY</Ccy></Acct>"
    "{balances}\n")
_BAL = ("<Bal><Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp><Amt Ccy=\"CNY\">{amount}</Amt>"
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>")
_TAIL = "</Stmt></BkToCstmrStmt></Document>\n"
OPENING_FEN = 10**15


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def camt_file(entries: int | None = None) -> bytes:
    """A camt.053.001.08 statement of ``entries`` (default ``LINES``) entries (1 % returned,
    1 % with a fee), balances adding up."""
    entries = LINES if entries is None else entries
    day = AS_OF.isoformat()
    parts, movement = [], 0
    for n in range(entries):
        credit = n % 2 == 0
        fen = 100 + (n * 7919) % 10_000_000
        movement += fen if credit else -fen
        parts.append(_ENTRY.format(
            amount=_yuan(fen), cd="CRDT" if credit else "DBIT", day=day, n=n,
            fam="RCDT" if credit else "ICDT", fee=_FEE if n % 100 == 7 else "",
            party="Dbtr" if credit else "Cdtr", cp=n % 100_003,
            rtr=_RTR if n % 100 == 3 else "", what="充值" if credit else "提现"))
    balances = (_BAL.format(kind="OPBD", amount=_yuan(OPENING_FEN), day=day)
                + _BAL.format(kind="CLBD", amount=_yuan(OPENING_FEN + movement), day=day))
    head = _HEAD.format(ns=CAMT_NS, day=day, balances=balances)
    return (head + "".join(parts) + _TAIL).encode()


def iterparse_entries(data: bytes, *, validate: bool = False) -> int:
    """The reference: lxml's iterparse alone walking the ``Ntry`` elements (tag-filtered, each
    cleared and dropped from its parent as it ends), reading nothing; with ``validate`` the
    shipped XSD checks the file while it streams, as the import does."""
    count = 0
    xsd = {"schema": camt.schema("camt.053.001.08")} if validate else {}
    for _, elem in etree.iterparse(io.BytesIO(data), events=("end",), tag=f"{{{CAMT_NS}}}Ntry",
                                   **xsd):
        count += 1
        elem.clear()
        parent = elem.getparent()
        while elem.getprevious() is not None:
            del parent[0]
    return count


def import_ready(data: bytes) -> list[dict[str, Any]]:
    """The project's import of the file up to the store: parsed and XSD-checked
    (``formats.read_statement``), balances and keys checked, each line as the row the store
    inserts (``store.statements`` row builder). No database."""
    statement = formats.read_statement(data, "camt.053")
    return statement_store.rows(1, statement.account_no, statement.lines)


def passes(bank: pl.DataFrame, books: pl.DataFrame) -> dict[str, float]:
    """Seconds of each step of ``matching.match`` (the same calls in the same order)."""
    policy, split = matching.MatchPolicy(), {}

    def step(name: str, work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        out = work()
        split[name] = round(time.perf_counter() - start, 3)
        return out
    step("checks_s", lambda: (bank["key"].n_unique(), books["key"].n_unique()))
    b, k = step("normalize_s", lambda: matching._normalized(bank, books))
    state = step("encode_s", lambda: pairing.State.start(b, k))
    state = step("duplicates_s", lambda: pairing.duplicates(state))
    state = step("by_reference_s", lambda: pairing.by_reference(state))
    state = step("by_amount_date_s",
                 lambda: pairing.by_amount_date(state, policy.date_tolerance_days))
    state = step("amount_tolerance_s", lambda: grouping.by_amount_tolerance(
        state, policy.date_tolerance_days, policy.amount_tolerance_fen))
    state = step("groups_s", lambda: grouping.groups(
        state, policy.group_window_days, policy.group_items_max, policy.batch_ref_separator))
    step("result_s", lambda: matching._result(state, AS_OF, policy))
    return split


def _match_part(log: Callable[[str], None]) -> dict[str, Any]:
    log(f"reconcile: building {LINES:,} statement lines and {LINES:,} book items")
    bank, books = frames()
    want = planted()
    timed = _alternating({"join": lambda: raw_join(bank, books),
                          "match": lambda: matching.match(bank, books, as_of=AS_OF)})
    (match_times, result), (join_times, joined) = timed["match"], timed["join"]
    got = found(result)
    if got != want:
        raise SystemExit(f"reconcile bench: planted {want}, the engine found {got}")
    splits = [passes(bank, books) for _ in range(ROUNDS)]
    split = {name: statistics.median(s[name] for s in splits) for name in splits[0]}
    match_s, join_s = statistics.median(match_times), statistics.median(join_times)
    log(f"reconcile: match {match_s:.3f} s, raw join {join_s:.3f} s "
        f"({match_s / join_s:.1f}x)")
    return {
        "match_lines": LINES, "book_items": LINES, "match_s": round(match_s, 3),
        "raw_join_s": round(join_s, 3), "raw_join_rows": joined.height,
        "match_vs_raw_join_ratio": round(match_s / join_s, 2),
        "match_vs_raw_join_ratio_per_round": [
            round(m / j, 2) for m, j in zip(match_times, join_times, strict=True)],
        "planted": want, "found": got, "match_split_s": split,
        "rounds": {"match_s": match_times, "raw_join_s": join_times}}


def _import_part(log: Callable[[str], None]) -> dict[str, Any]:
    log(f"reconcile: writing a {LINES:,}-entry camt.053 file")
    data = camt_file()
    timed = _alternating({"iterparse": lambda: iterparse_entries(data),
                          "xsd": lambda: iterparse_entries(data, validate=True),
                          "import": lambda: len(import_ready(data))})
    (iter_times, iter_count), (xsd_times, xsd_count) = timed["iterparse"], timed["xsd"]
    import_times, rows = timed["import"]
    if (iter_count, xsd_count, rows) != (LINES, LINES, LINES):
        raise SystemExit(f"reconcile bench: {iter_count} / {xsd_count} / {rows} entries of "
                         f"{LINES}")
    iter_s, import_s = statistics.median(iter_times), statistics.median(import_times)
    xsd_s = statistics.median(xsd_times)
    log(f"reconcile: import {LINES / import_s:,.0f} lines/s, iterparse "
        f"{LINES / iter_s:,.0f} lines/s ({iter_s / import_s:.2f}x)")
    return {
        "camt_entries": LINES, "camt_bytes": len(data),
        "import_s": round(import_s, 3), "iterparse_s": round(iter_s, 3),
        "import_lines_per_s": round(LINES / import_s),
        "iterparse_lines_per_s": round(LINES / iter_s),
        "import_vs_iterparse_ratio": round(iter_s / import_s, 3),
        "import_vs_iterparse_ratio_per_round": [
            round(i / m, 3) for i, m in zip(iter_times, import_times, strict=True)],
        "iterparse_xsd_s": round(xsd_s, 3), "iterparse_xsd_lines_per_s": round(LINES / xsd_s),
        "iterparse_xsd_vs_iterparse_ratio": round(iter_s / xsd_s, 3),
        "import_includes": "formats.read_statement (a plain file cut into chunks of whole "
                           "entries, each checked against the shipped XSD as the whole "
                           "message on another thread while one pattern reads its entries' "
                           "texts; each entry a StatementLine, balances and keys checked) "
                           "and the rows the store inserts, then all of it freed; no "
                           "database",
        "iterparse_includes": "lxml.etree.iterparse(tag=Ntry), each entry cleared and "
                              "dropped; no XSD, nothing read",
        "iterparse_xsd_includes": "the same walk with the shipped XSD validating while "
                                  "streaming (the import's floor until it checked on "
                                  "another thread)",
        "rounds": {"import_s": import_times, "iterparse_s": iter_times,
                   "iterparse_xsd_s": xsd_times}}


def run(log: Callable[[str], None] = print) -> dict[str, Any]:
    matched = _match_part(log)
    gc.collect()
    imported = _import_part(log)
    rounds = {**matched.pop("rounds"), **imported.pop("rounds")}
    return {
        **matched, **imported, "rounds": rounds,
        "targets": {"match_s": TARGET_MATCH_S, "match_vs_raw_join_ratio": TARGET_MATCH_VS_JOIN,
                    "import_vs_iterparse_ratio": TARGET_IMPORT_VS_ITERPARSE},
        "polars": pl.__version__, "lxml": ".".join(map(str, etree.LXML_VERSION)),
    }


def summary(results: dict[str, Any]) -> str:
    """Two lines for the console: the figures beside their same-run references."""
    return (f"reconcile: match {results['match_lines']:,} lines a side {results['match_s']} s, "
            f"raw join {results['raw_join_s']} s ({results['match_vs_raw_join_ratio']}x; "
            f"targets <= {TARGET_MATCH_S} s, <= {TARGET_MATCH_VS_JOIN}x)\n"
            f"camt.053 import {results['import_lines_per_s']:,} lines/s, iterparse "
            f"{results['iterparse_lines_per_s']:,} lines/s "
            f"({results['import_vs_iterparse_ratio']}x; target >= "
            f"{TARGET_IMPORT_VS_ITERPARSE}x)")


def main(argv: list[str] | None = None) -> None:
    """``--part import`` (or ``match``) runs one part and prints it; only a whole run is
    saved to bench/results/reconcile.json."""
    from bench.run import RESULTS, save, stamp
    args = sys.argv[1:] if argv is None else argv
    part = args[args.index("--part") + 1] if "--part" in args else "all"
    def log(message: str) -> None:
        print(f"[bench] {message}", flush=True)
    if part != "all":
        work = {"import": _import_part, "match": _match_part}[part]
        results = work(log)
        stamp(results)
        print(json.dumps(results, indent=2, default=str))
        return
    results = run(log)
    stamp(results)
    RESULTS.mkdir(exist_ok=True)
    save("reconcile.json", results)
    print(summary(results))


if __name__ == "__main__":
    sys.exit(main())
