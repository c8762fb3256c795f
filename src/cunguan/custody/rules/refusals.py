"""Custody's refusals: every code a custody command may answer besides ``ok``, one enum,
with each code's rule and meaning. This is the single source of docs/ERRORS.md's custody
table (``scripts/errors_table.py`` writes it; tests/project/test_docs.py checks it is current).

A code that is also a ledger reject (``exceeds_available``, ``duplicate_with_different_content``)
has the ledger's value: a ledger reject met inside a custody command is answered as it is.
"""

from enum import StrEnum

from cunguan.core.errors import CunguanError


class Refusal(StrEnum):
    """A custody refusal's code (``CustodyResult.code``)."""

    FIELD_INVALID = 'field_invalid'
    DUPLICATE_WITH_DIFFERENT_CONTENT = 'duplicate_with_different_content'
    TENANT_NOT_FOUND = 'tenant_not_found'
    ACCOUNT_NOT_FUNDABLE = 'account_not_fundable'
    NAME_INVALID = 'name_invalid'
    ID_NO_INVALID = 'id_no_invalid'
    UNDER_AGE = 'under_age'
    MOBILE_INVALID = 'mobile_invalid'
    MOBILE_TAKEN = 'mobile_taken'
    MOBILE_MISMATCH = 'mobile_mismatch'
    RESERVED_MOBILE_UNKNOWN = 'reserved_mobile_unknown'
    CARD_NO_INVALID = 'card_no_invalid'
    CARD_BIN_UNKNOWN = 'card_bin_unknown'
    CARD_NOT_DEBIT = 'card_not_debit'
    PASSWORD_INVALID = 'password_invalid'
    PASSWORD_TOO_SIMPLE = 'password_too_simple'
    PERSON_HAS_ACCOUNT = 'person_has_account'
    USER_EXISTS = 'user_exists'
    USER_NOT_FOUND = 'user_not_found'
    USER_NOT_ACTIVE = 'user_not_active'
    USER_NOT_PENDING = 'user_not_pending'
    CARD_BOUND_ELSEWHERE = 'card_bound_elsewhere'
    CARD_NOT_BOUND = 'card_not_bound'
    BALANCE_NOT_ZERO = 'balance_not_zero'
    CLAIMS_OPEN = 'claims_open'
    PLATFORM_OWN_INSUFFICIENT = 'platform_own_insufficient'
    FEE_PERIOD_OPEN = 'fee_period_open'
    ORIGIN_MISMATCH = 'origin_mismatch'
    ORIGIN_CONTRACT_USED = 'origin_contract_used'
    ORIGIN_DISBURSEMENT_USED = 'origin_disbursement_used'
    ORIGIN_PAYEE_NOT_BORROWER = 'origin_payee_not_borrower'
    BANK_NOT_SUPPORTED = 'bank_not_supported'
    PASSWORD_NOT_SET = 'password_not_set'
    PASSWORD_WRONG = 'password_wrong'
    PASSWORD_LOCKED = 'password_locked'
    AUTHORIZATION_REQUIRED = 'authorization_required'
    AUTHORIZATION_NOT_FOUND = 'authorization_not_found'
    NOT_A_BORROWER = 'not_a_borrower'
    SCHEDULE_INVALID = 'schedule_invalid'
    PROJECT_NOT_FOUND = 'project_not_found'
    PROJECT_EXISTS = 'project_exists'
    PLAN_EXISTS = 'plan_exists'
    PROJECT_RAISE_ENDED = 'project_raise_ended'
    INVESTOR_ACCOUNT_NOT_OPEN = 'investor_account_not_open'
    BORROWER_CANNOT_BID = 'borrower_cannot_bid'
    PROJECT_NOT_RAISING = 'project_not_raising'
    PROJECT_FULL = 'project_full'
    BID_BELOW_MINIMUM = 'bid_below_minimum'
    BID_ABOVE_MAXIMUM = 'bid_above_maximum'
    BID_NOT_ON_STEP = 'bid_not_on_step'
    BID_EXCEEDS_REMAINING = 'bid_exceeds_remaining'
    NEWBIE_PROJECT_ONLY_ONCE = 'newbie_project_only_once'
    RISK_LEVEL_UNSUITABLE = 'risk_level_unsuitable'
    RED_PACKET_INVALID = 'red_packet_invalid'
    EXCEEDS_AVAILABLE = 'exceeds_available'
    PROJECT_NOT_FULL = 'project_not_full'
    PROJECT_NOT_REPAYING = 'project_not_repaying'
    NOTHING_DUE = 'nothing_due'
    REPAYMENT_IN_PROGRESS = 'repayment_in_progress'
    NOTHING_FROZEN = 'nothing_frozen'
    AMOUNT_BELOW_FEE = 'amount_below_fee'
    HVPS_CLOSED = 'hvps_closed'
    HVPS_DAILY_LIMIT = 'hvps_daily_limit'
    WITHDRAWAL_NOT_FOUND = 'withdrawal_not_found'
    WITHDRAWAL_WRONG_STATE = 'withdrawal_wrong_state'
    NO_GUARANTOR = 'no_guarantor'
    CLAIM_NOT_FOUND = 'claim_not_found'
    CLAIM_NOT_HELD = 'claim_not_held'
    CLAIM_NOT_TRANSFERABLE = 'claim_not_transferable'
    LISTING_NOT_FOUND = 'listing_not_found'
    LISTING_NOT_OPEN = 'listing_not_open'
    BUYER_IS_SELLER = 'buyer_is_seller'
    BATCH_NOT_FOUND = 'batch_not_found'
    BATCH_NOT_FAILED = 'batch_not_failed'
    CARD_REQUIRED = 'card_required'
    MISSING_ELEMENTS = 'missing_elements'
    AMOUNT_INVALID = 'amount_invalid'
    FILE_TOO_LARGE = 'file_too_large'
    FILE_INVALID = 'file_invalid'
    FILE_ENCODING_INVALID = 'file_encoding_invalid'
    HEADER_INVALID = 'header_invalid'
    MIGRATION_NOT_FOUND = 'migration_not_found'
    MIGRATION_WRONG_STATE = 'migration_wrong_state'
    CHECKER_IS_MAKER = 'checker_is_maker'
    MIGRATION_FUNDING_SHORT = 'migration_funding_short'
    MIGRATION_FUNDING_OVER = 'migration_funding_over'
    MIGRATION_FUNDED = 'migration_funded'
    MIGRATION_CONFLICT = 'migration_conflict'
    CLAIM_EXISTS = 'claim_exists'
    CLAIMS_DO_NOT_RECONCILE = 'claims_do_not_reconcile'
    AWAITING_CHANNEL_SETTLEMENT = 'awaiting_channel_settlement'
    COUPON_INVALID = 'coupon_invalid'
    PLAN_NOT_FOUND = 'plan_not_found'
    HOLDING_NOT_FOUND = 'holding_not_found'
    HOLDING_NOT_ACTIVE = 'holding_not_active'
    PLAN_IDLE_SHORT = 'plan_idle_short'
    PLAN_NOT_MATURE = 'plan_not_mature'
    IDENTITY_MISMATCH = 'identity_mismatch'


#: Each refusal's rule (SPEC id, or "—") and meaning, as docs/ERRORS.md shows them.
EXPLAINED: dict[Refusal, tuple[str, str]] = {
    Refusal.FIELD_INVALID: ('—',
        ('a field of the command is malformed or out of range, whoever called (HTTP, CLI, '
         'Python): an amount that is not a positive int number of fen (bools, floats, NaN, '
         'strings, None, > `limits.amount_fen_max`), a card no. or mobile with other than '
         'ASCII digits once spaces and hyphens are removed, an id or serial no. with other '
         'characters or lengths, text with control characters (NUL), a rate that is not '
         'decimal text within range, a date outside 2000–2099. Not recorded: the serial no. '
         'stays free. `data` carries `field` and `reason` (custody/rules/fields.py)')),
    Refusal.DUPLICATE_WITH_DIFFERENT_CONTENT: ('R-L5',
        'the serial no. was used for another request'),
    Refusal.TENANT_NOT_FOUND: ('R-C1',
        'no such platform'),
    Refusal.ACCOUNT_NOT_FUNDABLE: ('R-C2',
        'platform funding names an account it may not fund (fee, summary …)'),
    Refusal.NAME_INVALID: ('R-C4',
        'the name is empty or too long'),
    Refusal.ID_NO_INVALID: ('R-C4',
        'the resident ID no. fails GB 11643'),
    Refusal.UNDER_AGE: ('R-C4',
        'the holder is under 18 on the accounting date'),
    Refusal.MOBILE_INVALID: ('R-C4',
        ('not a mainland mobile no. (11 ASCII digits starting 13–19 once white space, spaces '
         'and hyphens are removed; full-width or Arabic-Indic digits are refused)')),
    Refusal.MOBILE_TAKEN: ('R-C4',
        ('the mobile no. belongs to another account on the platform (one mobile per person; '
         'compared normalized)')),
    Refusal.MOBILE_MISMATCH: ('R-A1',
        ("strict matching: the mobile differs from the one the card's bank holds (at opening, "
         "card binding, replacement and a migrated user's activation)")),
    Refusal.RESERVED_MOBILE_UNKNOWN: ('R-A1',
        ("strict matching is set for the platform and the card's reserved mobile is not known "
         '(no card-verification answer and none given), so it cannot be matched')),
    Refusal.CARD_NO_INVALID: ('R-C4',
        'not 15–19 digits, or the Luhn check digit fails'),
    Refusal.CARD_BIN_UNKNOWN: ('R-C4',
        "the card's bank cannot be identified from its BIN"),
    Refusal.CARD_NOT_DEBIT: ('R-C4',
        'credit, semi-credit or prepaid card'),
    Refusal.PASSWORD_INVALID: ('R-C4',
        'a transaction password is 6 digits'),
    Refusal.PASSWORD_TOO_SIMPLE: ('R-C4',
        'repeated or sequential digits'),
    Refusal.PERSON_HAS_ACCOUNT: ('R-C4',
        'one person, one account per platform'),
    Refusal.USER_EXISTS: ('R-C3',
        'the user id is taken'),
    Refusal.USER_NOT_FOUND: ('R-C3',
        'no such user'),
    Refusal.USER_NOT_ACTIVE: ('R-C3',
        'the user waits for approval or review, or is closed'),
    Refusal.USER_NOT_PENDING: ('R-C3',
        'approving a user that is not waiting for approval'),
    Refusal.CARD_BOUND_ELSEWHERE: ('R-C5',
        'the card is bound to another account'),
    Refusal.CARD_NOT_BOUND: ('R-C5',
        'same card in, same card out: the card is not bound to this user'),
    Refusal.BALANCE_NOT_ZERO: ('R-C5',
        'a card is unbound only at zero balance (replace it instead)'),
    Refusal.CLAIMS_OPEN: ('R-C5',
        'a card is unbound only without open claims'),
    Refusal.PLATFORM_OWN_INSUFFICIENT: ('R-C7, R-C2',
        ("the platform's own account cannot pay the quick-pay channel fee, or the month's "
         'custody fee (the month is then recorded as owed; the fee run charges it again)')),
    Refusal.FEE_PERIOD_OPEN: ('R-C2',
        ("charging the custody fee for a month that is not over (the platform's accounting "
         'date is not past its last day) or has a day not closed yet (cut over, its checks not'
         ' passed)')),
    Refusal.ORIGIN_MISMATCH: ('R-C8',
        ("an exchange-originated project's records disagree: the disbursement did not pay the "
         "contract's principal or predates it, or the project raises more than was lent or at "
         'another rate or term')),
    Refusal.ORIGIN_CONTRACT_USED: ('R-C8',
        'the loan contract already backs a project of the platform (one loan, one project)'),
    Refusal.ORIGIN_DISBURSEMENT_USED: ('R-C8',
        'the disbursement record already backs a project of the platform'),
    Refusal.ORIGIN_PAYEE_NOT_BORROWER: ('R-C8',
        "the disbursement's payee account is not a card bound to the project's borrower"),
    Refusal.BANK_NOT_SUPPORTED: ('R-C6',
        "the card's bank is not on the quick-pay list"),
    Refusal.PASSWORD_NOT_SET: ('R-C4',
        'the user has no transaction password'),
    Refusal.PASSWORD_WRONG: ('R-C4',
        'wrong password; the 5th in a row locks it'),
    Refusal.PASSWORD_LOCKED: ('R-C4',
        'locked after repeated failures, until the time given'),
    Refusal.AUTHORIZATION_REQUIRED: ('R-C9, R-C13, R-C15',
        'neither the password nor a standing authorization covers it'),
    Refusal.AUTHORIZATION_NOT_FOUND: ('R-C9',
        'revoking an authorization that is not active'),
    Refusal.NOT_A_BORROWER: ('R-C8',
        'projects are registered for borrower accounts'),
    Refusal.SCHEDULE_INVALID: ('R-C12',
        ('no schedule can be made for these terms (a rate that is not an exact decimal, or '
         'whose exponent is beyond ±18, `limits.rate_exponent_max`, included)')),
    Refusal.PROJECT_NOT_FOUND: ('R-C8',
        'no such project'),
    Refusal.PROJECT_EXISTS: ('R-C8',
        'registering a project id that is taken'),
    Refusal.PLAN_EXISTS: ('R-C19',
        'creating a finance plan whose id is taken'),
    Refusal.PROJECT_RAISE_ENDED: ('R-C9',
        'the raise period is over'),
    Refusal.INVESTOR_ACCOUNT_NOT_OPEN: ('R-C9',
        "the investor's account is not active"),
    Refusal.BORROWER_CANNOT_BID: ('R-C9',
        'a borrower bids on their own project'),
    Refusal.PROJECT_NOT_RAISING: ('R-C9',
        'the project is lent, failed or settled'),
    Refusal.PROJECT_FULL: ('R-C9',
        'nothing is left to raise'),
    Refusal.BID_BELOW_MINIMUM: ('R-C9',
        "outside the project's bid limits"),
    Refusal.BID_ABOVE_MAXIMUM: ('R-C9',
        "outside the project's bid limits"),
    Refusal.BID_NOT_ON_STEP: ('R-C9',
        'not minimum + a whole number of steps'),
    Refusal.BID_EXCEEDS_REMAINING: ('R-C9',
        'more than is left to raise'),
    Refusal.NEWBIE_PROJECT_ONLY_ONCE: ('R-C9',
        "newbie projects take each user's first bid only"),
    Refusal.RISK_LEVEL_UNSUITABLE: ('R-C9',
        "the investor's risk assessment is below the project's level"),
    Refusal.RED_PACKET_INVALID: ('R-C18',
        'an investment red packet must be less than the bid'),
    Refusal.EXCEEDS_AVAILABLE: ('R-C9, R-C17',
        'not enough available; a withdrawal also says `max_withdrawable_fen`'),
    Refusal.PROJECT_NOT_FULL: ('R-C10',
        'lending needs a full project'),
    Refusal.PROJECT_NOT_REPAYING: ('R-C13',
        'repaying a project that is not being repaid'),
    Refusal.NOTHING_DUE: ('R-C13',
        'every installment is paid'),
    Refusal.REPAYMENT_IN_PROGRESS: ('R-C13',
        'the earliest installment is frozen and waits for its settlement'),
    Refusal.NOTHING_FROZEN: ('R-C13',
        'no frozen installment to settle'),
    Refusal.AMOUNT_BELOW_FEE: ('R-C17',
        'fee taken from the amount: the amount does not cover it'),
    Refusal.HVPS_CLOSED: ('R-C16',
        'above 50,000 yuan and outside the HVPS window (the message says when it opens)'),
    Refusal.HVPS_DAILY_LIMIT: ('R-C16',
        "above the payer's HVPS limit for the day"),
    Refusal.WITHDRAWAL_NOT_FOUND: ('R-C15',
        'no such withdrawal'),
    Refusal.WITHDRAWAL_WRONG_STATE: ('R-C15',
        'the withdrawal is not in the state this step needs'),
    Refusal.NO_GUARANTOR: ('R-C13',
        'guarantor compensation on a project without a guarantor'),
    Refusal.CLAIM_NOT_FOUND: ('R-C14',
        'no such claim'),
    Refusal.CLAIM_NOT_HELD: ('R-C14',
        'the seller does not hold this investment claim'),
    Refusal.CLAIM_NOT_TRANSFERABLE: ('R-C14',
        'the claim is listed already or closed'),
    Refusal.LISTING_NOT_FOUND: ('R-C14',
        'no such listing'),
    Refusal.LISTING_NOT_OPEN: ('R-C14',
        'the listing was sold or cancelled'),
    Refusal.BUYER_IS_SELLER: ('R-C14',
        'a seller cannot buy their own claim'),
    Refusal.BATCH_NOT_FOUND: ('R-C11',
        'no such batch'),
    Refusal.BATCH_NOT_FAILED: ('R-C11',
        'only a batch with failed items can be re-triggered'),
    Refusal.CARD_REQUIRED: ('R-C20',
        'activation needs a usable bound debit card'),
    Refusal.MISSING_ELEMENTS: ('R-C20',
        '(migration report) a row lacks one of the four elements, the role or the id kind'),
    Refusal.AMOUNT_INVALID: ('R-C20',
        '(migration report) a balance that is not a yuan amount, or negative'),
    Refusal.FILE_TOO_LARGE: ('R-C20',
        ('a migration file has more rows than `limits.migration_rows_per_file_max` (refused '
         'whole; `details.file`, `details.line`)')),
    Refusal.FILE_INVALID: ('R-C20',
        ('a migration file is not CSV text: a control character anywhere (U+0000–U+001F but '
         'tab and line ends, U+007F–U+009F: a damaged or mis-encoded export, so the file, not '
         "the row), a row whose cells are not as many as the header's (refused whole, answered"
         ' and not recorded: the migration id serves the corrected files; `details.file`, '
         '`details.line`, `details.reason`)')),
    Refusal.FILE_ENCODING_INVALID: ('R-C20',
        ('a migration file is neither UTF-8 (with or without BOM), GBK nor GB18030, each '
         'decoded strictly; UTF-16 is refused; a UTF-8 file with damaged sequences (its '
         'Chinese text outnumbering three to one the places that fail) is refused rather than '
         "read as GBK (`details.line`: the first bad byte's)")),
    Refusal.HEADER_INVALID: ('R-C20',
        ("a migration file's first line is not exactly its columns (unknown, missing or "
         'repeated ones named); the file is refused whole, `details.line` = 1')),
    Refusal.MIGRATION_NOT_FOUND: ('R-C20',
        'no staged migration with this id on this platform'),
    Refusal.MIGRATION_WRONG_STATE: ('R-C20',
        ('the migration is applied, rejected or cancelled already: no more funding, approval, '
         'rejection or cancellation')),
    Refusal.CHECKER_IS_MAKER: ('R-C20',
        ('the second approval comes from the operator (key, or `--operator` name) who made the'
         ' first: the checker must be another. Names are compared as normalized (surrounding '
         'white space dropped, NFKC: `alice `, `ａｌｉｃｅ` are `alice`); a name with control or '
         'invisible format characters is `field_invalid`')),
    Refusal.MIGRATION_FUNDING_SHORT: ('R-C20',
        ("checker's approval refused: less money arrived for the migration than the users "
         "file's balance total (`details.funded_fen`, `details.balance_total_fen`)")),
    Refusal.MIGRATION_FUNDING_OVER: ('R-C20',
        ("checker's approval refused: more money arrived than the balance total (reject the "
         'migration to return it)')),
    Refusal.MIGRATION_FUNDED: ('R-C20',
        ('the platform cancels a migration for which money arrived: the bank rejects it '
         'instead, returning the money')),
    Refusal.MIGRATION_CONFLICT: ('R-C20',
        ("checker's approval refused whole: a user id, ID no., card, project or claim of an "
         'accepted row was taken since staging (`details.file`, `details.line`)')),
    Refusal.CLAIM_EXISTS: ('R-C20',
        ('(migration report) a claim id that the platform holds already or that an earlier row'
         ' took')),
    Refusal.CLAIMS_DO_NOT_RECONCILE: ('R-C20',
        ('(migration report) a project whose accepted claims do not add up to it — their '
         'principal is not its amount, or their outstanding is not the principal its own '
         'schedule (amount, rate, months, method, lent on) has left after `periods_paid` — is '
         'refused with every claim of it, the sums in the message (a project without claims '
         'too); a claim whose project is not imported by the same files (one on the platform '
         "already) likewise. At the checker's approval the check runs again and refuses the "
         'approval whole (`details.file`, `details.line`): a migration staged before the rule '
         'may hold such rows')),
    Refusal.AWAITING_CHANNEL_SETTLEMENT: ('R-C15, R-C2',
        ('no advancer is configured and the summary account does not hold the money yet (T+1);'
         " or the month's custody fee, which leaves the summary account, is more than it holds"
         " while the platform's money is in the channel (nothing is recorded; run the month "
         'again after settlement)')),
    Refusal.COUPON_INVALID: ('R-C18',
        'an interest coupon adds 0 to 24 % a year'),
    Refusal.PLAN_NOT_FOUND: ('R-C19',
        'no such finance plan'),
    Refusal.HOLDING_NOT_FOUND: ('R-C19',
        'no such plan holding'),
    Refusal.HOLDING_NOT_ACTIVE: ('R-C19',
        'the holding was redeemed'),
    Refusal.PLAN_IDLE_SHORT: ('R-C19',
        "matching more than the holding's idle (unmatched) money"),
    Refusal.PLAN_NOT_MATURE: ('R-C19',
        "redeeming before the plan's term ends"),
    Refusal.IDENTITY_MISMATCH: ('R-C4',
        'password reset: the ID no., mobile or bound card does not match the account'),
}


class CustodyError(CunguanError):
    """A custody command refused with a named code (a ``Refusal``; a ledger reject met inside
    the command keeps its ledger code)."""
