"""Every limit in one place (DESIGN: put a limit on everything).

Relations between limits are checked at import (``invariant``, which ``python -O`` keeps), so a
bad edit fails at start-up, not in production.
"""

from datetime import date
from typing import Final

from cunguan.core.errors import invariant

#: Largest amount one posting may carry: 100 billion yuan, far above any single instruction and
#: far below 2**63 so that sums of a full batch can never overflow a BIGINT column.
amount_fen_max: Final = 10_000_000_000_000
#: Commands one ledger batch may carry (one DB transaction).
commands_per_batch_max: Final = 10_000
#: Postings one transaction may carry (a lending batch settles many bids into one borrower).
postings_per_transaction_max: Final = 2_000
#: Payees one hold settlement may pay.
payees_per_settle_max: Final = postings_per_transaction_max - 1
#: A rate's decimal exponent is within ± this (fees and interest are small numbers; 1e999999999
#: would take the process minutes to turn into a fraction).
rate_exponent_max: Final = 18
#: Length of a request serial no. (请求流水号), account no., business type, reason, memo.
request_no_length_max: Final = 64
#: Length of an id a platform chooses (user, project, plan, listing, claim, migration).
identifier_length_max: Final = 64
#: Dates any command or query may name: the bank deals in no business day outside these.
date_earliest: Final = date(2000, 1, 1)
date_latest: Final = date(2099, 12, 31)
account_no_length_max: Final = 32
#: An account's business role (lender, custody_summary …) and accounting subject code (科目).
role_length_max: Final = 32
subject_code_length_max: Final = 16
tenant_id_length_max: Final = 32
business_type_length_max: Final = 32
reason_length_max: Final = 128
#: An operator's name or key id, as a migration's maker or checker records it.
operator_length_max: Final = 64
memo_length_max: Final = 256
#: Length of a URL a platform registers or sends (callback, return URL and its prefix).
url_length_max: Final = 512
#: Length of a name shown to people (a platform's, a finance plan's).
display_name_length_max: Final = 128
#: An exchange's loan contract no. or disbursement serial no. (R-C8), its original lender's
#: name, and a payee bank account no. (a card or a settlement account) in digits.
exchange_record_no_length_max: Final = 64
lender_name_length_max: Final = 128
payee_account_digits_max: Final = 32
#: Rows one page of a fund-log query may return.
page_rows_max: Final = 1_000
#: Retries of a DB transaction that lost a serialization or deadlock race.
db_retries_max: Final = 8
db_retry_backoff_ms_max: Final = 200
#: Transaction ids reserved per trip to the id sequence.
ids_per_block: Final = 1_000
#: Findings one day-end check may report before it summarises the rest.
findings_per_check_max: Final = 200
#: Callbacks (回调): first retry after this long, doubling up to the cap, with jitter; after
#: the give-up period an event is dead-lettered for operators.
callback_retry_base_s: Final = 5
callback_retry_cap_s: Final = 3_600
callback_give_up_after_s: Final = 72 * 3_600
callback_timeout_ms: Final = 5_000
#: While a worker delivers an event, others leave it alone this long (a dead worker's lease
#: lapses and another delivers it).
callback_lease_s: Final = 60
#: Callbacks one worker has in flight at once: a platform answering in 50 ms still takes
#: ~300 a second (the API writes thousands of events a second under load).
callback_sends_in_flight_max: Final = 16
#: A worker pass delivers page after page of due callbacks for at most this long, then lets
#: the pass's other work run (the worker starts its next pass at once when a page was full).
callback_pass_ms_max: Final = 2_000
#: Events one pull or one delivery round may return.
events_per_page_max: Final = 500
#: A bank-hosted page session lives this long.
page_session_ttl_s: Final = 900
#: Form posts one client address may make to the hosted pages per minute.
page_posts_per_minute_max: Final = 30
#: Largest id or cursor a request may name (a signed 64-bit BIGINT).
id_max: Final = 2**63 - 1
#: Requests one server process works on at once (each holds at most one pooled DB
#: connection, the pool has 2 × 8): more would only queue inside the pool, holding threads.
api_requests_in_flight_max: Final = 16
#: Commands one group commit may carry (one DB transaction; each in its own savepoint).
group_commit_commands_max: Final = 64
#: Under load, a coalescing writer (platform/coalescer.py) keeps taking requests while
#: they arrive less than this apart. Measured at 64 API clients: without it each process's
#: clients split into two cohorts whose groups alternated (batches of 11 and 22, 8 and 23);
#: 2 ms against 1 ms: p99 34–39 ms against 40–73 at 64 clients, 16 clients ~20 % fewer
#: requests/s (docs/PERFORMANCE.md). Again with the command lane (3 alternating pairs each):
#: 1 ms 1,785–1,867 requests/s against 2,667–2,935 (p99 67–75 ms against 37–43); 3 ms no
#: different from 2 (2,600–2,904 against 2,742–3,027, p99 36–40 against 35–43).
coalesce_gap_ms: Final = 2.0
#: …and for at most this in all: the longest a request waits for others to join its group.
coalesce_linger_ms_max: Final = 10.0
#: Writer threads of a server process's set-based coalescer: while one group commits (waiting
#: on the WAL flush), the next is gathered and run. With the command lane, one writer measured
#: a lower p99 at 64 clients (7 alternating pairs: 35 against 41 ms, medians; 2,925 against
#: 2,813 requests/s) — larger groups, each costing its writer ~1.5 ms of Python whatever its
#: size — but at 16 clients fewer requests (3 pairs: 941 against 1,128 a second, p99 28
#: against 24 ms): two it stays.
coalesce_writers: Final = 2
#: Requests one set-based call may carry (one DB transaction): red packets, recharges,
#: withdrawals, channel results, bids.
requests_per_call_max: Final = 5_000
#: A migration's id (its steps' request nos. are made of it and a prefix up to 16 long).
migration_id_length_max: Final = 48
#: Rows one migration file (users, projects or claims) may hold.
migration_rows_per_file_max: Final = 1_000_000
#: Values one lookup of a migration's ids names (an IN list), and accounts opened at once.
migration_lookup_chunk_max: Final = 1_000
#: How deep a request body's JSON may nest: every request the API takes is a flat object
#: or an object of lists of flat objects; deeper bodies are refused before they are parsed
#: (Python's parser recurses, and 1,000 levels exhausted it: a 500).
json_nesting_max: Final = 32
#: Body size of one API request, and of one migration upload (several CSV files).
api_body_bytes_max: Final = 1_048_576
api_upload_bytes_max: Final = 64 * 1_048_576
#: How long a server process trusts a credential it read (its secret, role and status): a
#: revocation reaches the other processes within this; the revoking one at once.
credential_cache_ms: Final = 1_000
#: Python's garbage-collection thresholds in a long-running process (its default is 700, 10,
#: 10): the youngest generation is collected every 50,000 allocations (net of frees) instead
#: of 700 — a request or a set-based call allocates thousands, and each collection walks every
#: object still young — the middle one every 20 of those, the oldest every 100 of the middle.
#: Measured at 64 API clients (6 alternating pairs, the start-up heap frozen in both): p99
#: 61–67 ms against 65–72 ms, Python 0.75 ms a request against 0.81 (medians).
gc_thresholds: Final = (50_000, 20, 100)
#: How far a signed request's timestamp may be from the bank's clock.
signed_clock_skew_max_s: Final = 300
#: A signed request's nonce, key id and signature lengths (SM2's r‖s in hex is 128 characters;
#: an HMAC-SHA256 in base64 44); its timestamp is Unix seconds in ASCII digits (12 reach the
#: year 33658).
nonce_length_max: Final = 64
key_id_length_max: Final = 64
signature_length_max: Final = 128
timestamp_digits_max: Final = 12
#: How far ahead the calendar looks for the next working day (the longest Chinese holiday run
#: with its weekends is 9 days; 60 leaves room for any notice).
working_day_search_days_max: Final = 60
#: How long a server keeps an idle keep-alive connection open. Longer than every common
#: client keeps one idle (httpx 5 s, Go 90 s, nginx upstream 60 s), so the client always closes
#: first: with uvicorn's default of 5 s, equal to httpx's, a client could send a request on a
#: connection in the instant the server closed it, and get a closed connection and no answer
#: (issue 20: 2 requests of a flash raise were lost so, never reaching the database).
server_keep_alive_s: Final = 120
#: Simulated users ``cunguan demo`` takes: fewer cannot raise its projects and pay out its
#: withdrawals; more take long (argon2 hashes every opening) and nothing more shows.
demo_users_min: Final = 40
demo_users_max: Final = 1_000
#: Borrowers the demo's day needs: four projects raised and lent, a failed raise, a plan's
#: project (it opens a tenth of its users as borrowers, and never fewer).
demo_borrowers_min: Final = 5

#: Server processes one ``cunguan serve`` may start.
server_processes_max: Final = 64
#: Ports a server may listen on (0 would pick one at random, unknown to the platforms).
port_min: Final = 1
port_max: Final = 65_535
#: ``cunguan worker``, a process of its own: seconds it rests between passes unless
#: ``--interval-s`` says otherwise, and the longest rest it may be given (a day).
standalone_worker_interval_default_s: Final = 30
standalone_worker_interval_max_s: Final = 86_400
#: A server process's in-process worker (``CUNGUAN_WORKER_INTERVAL_S``): how often it looks for
#: due callbacks and batch windows, and the longest an operator may set.
server_worker_interval_default_s: Final = 2.0
server_worker_interval_max_s: Final = 3_600.0
#: Ledger days (latest first) one listing of a tenant's days returns (a month's).
days_listed_max: Final = 31
#: Characters of a duplicate JSON key shown in a body's refusal.
duplicate_key_shown_length_max: Final = 66
#: Characters of a client address kept in its hosted-pages rate-limit bucket (an IPv6 address
#: has 45).
rate_bucket_client_length_max: Final = 64

#: Items (projects) one platform batch (批量放款/还款, named by its batch no.) may carry.
items_per_platform_batch_max: Final = 5_000
#: Wrong transaction passwords in a row before an account is locked (R-C4).
failed_password_attempts_max: Final = 5
#: A holder's name as stored after the opening checks (R-C4).
holder_name_length_max: Final = 64
#: A command's ``name`` field as it arrives, before the opening checks narrow it.
name_field_length_max: Final = 128
#: Longest identity document number kept (custody_users.id_no).
id_no_length_max: Final = 32
#: A plan's term, a raise's length: far beyond any real one, far below overflow (a loan's term
#: is ``loan_term_months_max``).
term_days_max: Final = 36_600
raise_days_max: Final = 366
#: A project's risk level and a lender's risk tolerance are 1 to this.
risk_level_max: Final = 5
#: A loan's term in months (repayment schedules are built month by month).
loan_term_months_max: Final = 600
#: Digits of a phone number (E.164: 15).
phone_digits_max: Final = 15
#: Digits of a bank card no.
card_no_digits_min: Final = 15
card_no_digits_max: Final = 19
#: Digits of a payer's bank account in an offline transfer (a card, or a company's account).
payer_account_digits_min: Final = 8
payer_account_digits_max: Final = 32
#: Text typed on a page before its rule normalizes it (a name with spaces, a spaced card no.).
typed_text_length_max: Final = 256
#: Keys per IN list of an account lookup, below SQLite's bound-parameter limit.
keys_per_statement_max: Final = 5_000
#: Rows one working-day calendar file (CSV) may hold.
calendar_rows_max: Final = 1_000

#: How long a SQLite writer waits for the lock before giving up.
sqlite_busy_timeout_ms: Final = 30_000
#: Pooled PostgreSQL connections are replaced after this long.
pool_recycle_s: Final = 1_800
#: Below this many rows a table's rows go as single-row INSERTs in the call's pipeline (one
#: round trip for all of them); from it, by binary COPY (two round trips of its own, the least
#: work per row on both sides). Measured over HTTP (coalesced batches of ~10-30 requests, 64
#: clients): 8 against 64 gave 1,510-1,566 requests/s against 1,027-1,366, in alternating
#: runs. An INSERT over one array per column, pipelined, was tried instead of COPY and cost
#: more client time at every size (psycopg dumps array elements one by one in Python): 15 red
#: packets 4.7 against 3.6 ms, 100 packets 18.7 against 9.7 ms, 1,000 140 against 52 ms.
copy_rows_min: Final = 8

invariant(callback_retry_base_s <= callback_retry_cap_s < callback_give_up_after_s,
          "callback retries: base ≤ cap < give-up")
invariant(payees_per_settle_max + 1 <= postings_per_transaction_max,
          "a settlement's payees and its hold fit one transaction")
invariant(0 < coalesce_gap_ms <= coalesce_linger_ms_max, "coalescing: 0 < gap ≤ linger")
invariant(amount_fen_max * commands_per_batch_max * postings_per_transaction_max
          < 2**63 * 1_000, "a batch's sums stay within BIGINT")
invariant(amount_fen_max * commands_per_batch_max < 2**63, "a batch's total fits a BIGINT")
invariant(page_rows_max >= 1 and db_retries_max >= 1, "pages and retries are at least one")
invariant(demo_borrowers_min < demo_users_min, "the demo's borrowers are some of its users")
invariant(0 <= standalone_worker_interval_default_s <= standalone_worker_interval_max_s,
          "cunguan worker: 0 ≤ default interval ≤ max")
invariant(0 < server_worker_interval_default_s <= server_worker_interval_max_s,
          "server worker: 0 < default interval ≤ max")
invariant(holder_name_length_max <= name_field_length_max,
          "the opening checks narrow a name field, never widen it")
invariant(0 < port_min <= port_max and 0 < card_no_digits_min <= card_no_digits_max
          and 0 < payer_account_digits_min <= payer_account_digits_max,
          "each range has its minimum at or below its maximum")

# Clearing (BEPS, cunguan.clearing)
#: The most items one BEPS package may carry (a periodic credit batch of a large payroll).
clearing_items_per_package_max: Final = 10_000
#: The largest N a debit's T+N answer period may be set to.
clearing_debit_answer_days_max: Final = 30
#: The most netting sessions a day may have besides the one at cutover.
clearing_sessions_per_day_max: Final = 24
#: The longest an operator may let a real-time item wait for its receipt before it may be
#: reversed (R-S8; the seed's 20 s is the default).
clearing_receipt_timeout_s_max: Final = 3_600
#: A CNAPS bank code (行号) has exactly this many digits.
clearing_bank_code_digits: Final = 12
#: A BEPS message id's longest form (ISO 20022 MsgId is Max35Text).
clearing_message_id_length_max: Final = 35
#: The most items released from one payer bank's queue in one pass (the rest wait a pass).
clearing_queue_release_max: Final = 10_000
#: The most a custody withdrawal routed to BEPS may pay: BEPS's ceiling for credit items
#: (R-S1, 50,000 yuan); the routing parameter ``beps_max_fen`` may only lower it.
custody_beps_withdrawal_max_fen: Final = 5_000_000
#: From this many items arriving at once netting is decided over arrays (the same decisions,
#: rules/netting_vector.py); below it the item-by-item rules are faster than the set-up.
clearing_vector_netting_items_min: Final = 256

# Reconciliation (reserve funds, R-B2)
#: N of R-B2 check 2: an in-transit item (未达账项) open more than this many calendar days after
#: its value date is overdue (the first ageing bucket of report 10 is ≤ 5 days).
reserve_in_transit_days_max: Final = 5
#: R-B2: the checks of day T are due by T + this many working days (备付金银行应在T+2日内完成).
reserve_checks_due_working_days: Final = 2
#: Characters of one report cell (Excel holds at most 32,767 in a cell): a row's source ids
#: beyond it are cut (the XLSX keeps the rest traceable through the report's item rows).
report_cell_chars_max: Final = 32_000
#: Rows of one report printed in the PDF; the rest are in the XLSX (the PDF says how many).
report_pdf_rows_max: Final = 2_000

# Reconciliation (store, handlers, CLI: issue 21)
#: A bank account no. in the reconciliation register (IBAN's maximum; Chinese accounts ≤ 32).
bank_account_no_length_max: Final = 34
#: A statement's id as the bank (or the format, derived) gives it.
statement_id_length_max: Final = 128
#: A line key, a book item id, and a bank or end-to-end reference as stored.
reconcile_key_length_max: Final = 128
#: A note on a break, or a resolution's text.
reconcile_note_length_max: Final = 1_000
#: Lines between two calls of an import's progress callback.
import_progress_every_lines: Final = 1_000
#: Breaks and in-transit items a CLI listing shows at most.
breaks_listed_max: Final = 1_000
#: A clearing item's id: its sender's bank code, the package's message id and its item no.,
#: joined by colons; a return's adds ``:R``, once (a return is never returned again).
clearing_item_id_length_max: Final = 64
invariant(clearing_bank_code_digits + clearing_message_id_length_max + 8 + len(":::R")
          <= clearing_item_id_length_max, "an item id holds its sender, message id and no., "
          "and a return's :R")

# Reconciliation (matching and breaks)
#: How far apart (calendar days) a line's and an item's value dates may be and still match by
#: amount and date (rule 2), or a group's members precede its single side (rule 3).
match_date_tolerance_days_max: Final = 31
match_group_window_days_max: Final = 31
#: The largest amount difference a policy may tolerate in rule 2 (100 yuan).
match_amount_tolerance_fen_max: Final = 10_000
#: Members one group of rule 3 may have (a channel's day of payments, a batch payout).
match_group_items_max: Final = 100_000
#: The longest arrival window (T+N, calendar days) a policy may give an item in transit.
match_arrival_days_max: Final = 366
#: A write-off of a break above this (1,000 yuan) needs a second checker's approval.
writeoff_second_approval_fen: Final = 100_000
#: A break's id (matching's ``b:``/``k:`` and the line or item key) and one note's length.
break_id_length_max: Final = 128
break_note_length_max: Final = 1_000
invariant(memo_length_max + 200 <= break_note_length_max,
          "a break's note quotes a proposed adjustment's memo whole")


# Reconciliation (statement formats)
#: Largest statement file one import reads (bytes in memory): a day of a busy custody account
#: in camt.053 (about 600 bytes an entry) with room for a million entries.
statement_file_bytes_max: Final = 1_073_741_824
#: Lines (entries, detail rows) one statement file may hold.
statement_lines_max: Final = 2_000_000
#: Largest amount or balance a statement may state, in fen (10^15 yuan): far above any bank
#: balance, far below 2**63, so a statement's sums never overflow a BIGINT.
statement_amount_fen_max: Final = 100_000_000_000_000_000
#: Characters one cell, tag or XML text of a statement may hold (a narrative, a name).
statement_field_chars_max: Final = 1_024
#: Uncompressed bytes an XLSX statement may expand to (a zip bomb is refused before reading).
statement_xlsx_unzipped_bytes_max: Final = 2_147_483_648
#: Rows before the header row a bank export may print (title, account, period, balances).
statement_preamble_rows_max: Final = 50
#: Distinct date texts a camt read remembers parsed (a statement holds a few days, a million
#: times over; a hostile file of a million distinct dates keeps no more than this).
statement_dates_remembered_max: Final = 1_024
#: Threads that check a large camt file's chunks against the XSD while its entries are read
#: (libxml2 without the GIL; one keeps pace with the reading on a 2-core machine).
statement_check_threads: Final = 1

invariant(amount_fen_max <= statement_amount_fen_max < 2**63,
          "a statement states any posting's amount and a balance fits a BIGINT")


# Clearing's ISO 20022 messages (cunguan.clearing.iso20022)
#: Largest pacs.008/pacs.003 message one read takes (bytes, streamed): 10,000 items with room
#: for long remittance and supplementary data.
clearing_message_bytes_max: Final = 268_435_456
#: Up to this size a message refused by its XSD while streamed is parsed again as a tree to name
#: the line the schema complains of (streamed validation reports none); above it, line 0.
clearing_message_relocate_bytes_max: Final = 33_554_432
#: Worker processes a bulk intake of many files reads them with (streamed, XSD-checked, each
#: file in one worker) while the calling process checks, nets and writes the packages in file
#: order: reading is most of an intake's CPU, and the files are independent.
clearing_intake_workers: Final = 2
#: At most this many worker processes for one bulk intake (a caller's choice above it is refused).
clearing_intake_workers_max: Final = 16
#: Files a bulk intake's workers may read ahead of the one being taken (each held in memory
#: as its package until taken).
clearing_intake_read_ahead_files: Final = 4
#: A bulk intake that took at least this many items refreshes the planner's statistics of the
#: clearing tables when it ends (PostgreSQL ``ANALYZE``, ~0.3-1.3 s at a million items):
#: statements prepared while the tables were small are planned again for what they hold
#: (autovacuum does it on its own schedule where it runs).
clearing_statistics_items_min: Final = 10_000

#: Days one report run covers at most (a month's report set).
report_days_max: Final = 31
