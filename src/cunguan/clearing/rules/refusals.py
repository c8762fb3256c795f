"""Clearing's refusals: every code a clearing command, package or item may be answered with
besides ``ok``, one enum, with each code's rule and meaning. The single source of
docs/ERRORS.md's clearing table (``scripts/errors_table.py`` writes it; tests/project/test_docs.py
checks it is current)."""

from enum import StrEnum

from cunguan.core.errors import CunguanError


class Refusal(StrEnum):
    """A clearing refusal's code."""

    FIELD_INVALID = "field_invalid"
    DUPLICATE_WITH_DIFFERENT_CONTENT = "duplicate_with_different_content"
    MESSAGE_INVALID = "message_invalid"


#: Each refusal's rule (SPEC id, or "—") and meaning, as docs/ERRORS.md shows them.
EXPLAINED: dict[Refusal, tuple[str, str]] = {
    Refusal.FIELD_INVALID: ("—",
        "a field of the command is malformed or out of range, whoever called (HTTP, CLI, "
        "Python); `details` carries `field` and `reason`"),
    Refusal.DUPLICATE_WITH_DIFFERENT_CONTENT: ("R-L5",
        "the message id or serial no. was used for other content"),
    Refusal.MESSAGE_INVALID: ("R-S10",
        "an ISO 20022 message that is not well-formed or not valid against its XSD, with the "
        "line and the schema's reason"),
}


class ClearingError(CunguanError):
    """A clearing command refused with a named code (a ``Refusal``)."""
