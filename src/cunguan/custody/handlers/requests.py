"""A custody request's form and identity: ``CustodyResult`` (what became of one), the field
checks every command runs first (``checked``, ``set_based``, ``checked_each``), and its serial
no.'s content hash, the digest a replay is compared by.
"""

import functools
import hashlib
import inspect
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from cunguan.core import limits
from cunguan.core.errors import CunguanError
from cunguan.core.fields import FieldInvalid
from cunguan.custody.rules import fields as custody_fields
from cunguan.custody.rules.refusals import Refusal
from cunguan.db.connection import Connection

Data = dict[str, Any]
_R = TypeVar("_R")
_O = TypeVar("_O")
_P = ParamSpec("_P")


@dataclass(frozen=True, slots=True)
class CustodyResult:
    """What became of one custody request.

    Attributes:
      request_no: the platform's serial no.
      ok: True when applied.
      code: "ok" or the reject code.
      message: for people.
      data: what the operation returns (ids, amounts, statuses).
      replayed: True when this answer was recorded earlier and nothing was done now.
    """

    request_no: str
    ok: bool
    code: str
    message: str = ""
    data: Data = field(default_factory=dict)
    replayed: bool = False


#: A command's work with its request log, and how its refusal is recorded.
Unit = Callable[[Connection], CustodyResult]
Refused = Callable[[Connection, CunguanError], CustodyResult]
#: Run first in a set-based call's transaction: for each request, the refusal that turns it
#: away before it runs, or None (``CustodyBase.commands_many``).
Gate = Callable[[Connection], Sequence[CunguanError | None]]


def _refusal(exc: CunguanError) -> Data:
    """How a refusal is recorded (and replayed)."""
    return {"code": exc.code, "message": exc.message, **exc.details}


def _refused(request_no: str, exc: CunguanError) -> CustodyResult:
    return CustodyResult(request_no, False, exc.code, exc.message, dict(exc.details))


def _request_no_ok(request_no: object) -> bool:
    """A serial no. the request log may hold: a platform's (checked by its form before) or
    one the bank derived from it."""
    try:
        custody_fields.derived_serial_no(request_no, "request_no")
    except FieldInvalid:
        return False
    return True


def _as_text(request_no: object) -> str:
    """A request no. to answer with: as sent when it is text, else empty."""
    return request_no if isinstance(request_no, str) else ""


#: Parameters of service methods that are not a request's fields.
_NOT_FIELDS = frozenset({"self", "gate", "requests", "packets", "answers", "steps"})


def checked(**overrides: custody_fields.Check) -> Callable[
        [Callable[_P, _O]], Callable[_P, "_O | CustodyResult"]]:
    """Check every argument of a custody command against its field's type
    (``custody/rules/fields.py``; ``overrides`` for a field this command takes narrower) before
    anything runs, and call the command with the normalized values. A malformed field is
    answered ``field_invalid`` naming it, neither run nor recorded (its serial no. stays
    free, as at the HTTP edge), whoever called: the API, the CLI or Python."""
    def decorate(method: Callable[_P, _O]) -> Callable[_P, "_O | CustodyResult"]:
        signature = inspect.signature(method)
        names = [n for n in signature.parameters if n not in _NOT_FIELDS]
        types = custody_fields.types_for(names, overrides)

        @functools.wraps(method)
        def run(*args: _P.args, **kwargs: _P.kwargs) -> "_O | CustodyResult":
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as exc:
                return CustodyResult("", False, Refusal.FIELD_INVALID, str(exc))
            bound.apply_defaults()
            try:
                for name, check in types.items():
                    bound.arguments[name] = check(bound.arguments[name], name)
            except FieldInvalid as exc:
                return _refused(_as_text(bound.arguments.get("request_no")), exc)
            return method(*bound.args, **bound.kwargs)
        return run
    return decorate


def set_based(kind: type) -> Callable[[Callable[..., list[CustodyResult]]],
                                      Callable[..., list[CustodyResult]]]:
    """The form of a set-based call, checked before anything else: its tenant id, and its
    requests a list of ``kind`` records, 1 to ``limits.requests_per_call_max`` of them. A
    call of no requests is answered with no results; a call not of that form is answered
    ``field_invalid`` for every request (naming ``tenant_id`` or ``requests``), nothing run
    or recorded. Each record's own fields are checked by ``checked_each``."""
    def decorate(method: Callable[..., list[CustodyResult]]
                 ) -> Callable[..., list[CustodyResult]]:
        @functools.wraps(method)
        def run(self: Any, tenant_id: object, requests: object, *args: Any, **kwargs: Any
                ) -> list[CustodyResult]:
            if isinstance(requests, (list, tuple)) and not requests:
                return []
            refusal = _call_refusal(tenant_id, requests, kind)
            if refusal is not None:
                count = len(requests) if isinstance(requests, (list, tuple)) else 1
                return [_refused("", refusal)] * count
            return method(self, tenant_id, requests, *args, **kwargs)
        return run
    return decorate


def _call_refusal(tenant_id: object, requests: object, kind: type) -> FieldInvalid | None:
    try:
        custody_fields.FIELD_TYPES["tenant_id"](tenant_id, "tenant_id")
    except FieldInvalid as exc:
        return exc
    if not isinstance(requests, (list, tuple)):
        return FieldInvalid("requests", "must be a list of requests")
    if len(requests) > limits.requests_per_call_max:
        return FieldInvalid("requests", f"at most {limits.requests_per_call_max} a call")
    if not all(isinstance(r, kind) for r in requests):
        return FieldInvalid("requests", f"each request must be a {kind.__name__}")
    return None


def checked_each(records: Sequence[_R], overrides: dict[str, custody_fields.Check] | None = None
                 ) -> tuple[list[_R], list[CunguanError | None]]:
    """The request records of a set-based call checked one by one: each normalized and, when
    the record has its own ``check`` (a bid's red packet below its amount, a project's bid
    limits), checked by it; or its refusal (the call answers it at once and neither runs nor
    records it, so its serial no. stays free)."""
    normalized: list[_R] = []
    refusals: list[CunguanError | None] = []
    for sent in records:
        record = sent
        try:
            record = custody_fields.checked_record(sent, overrides)
            own_check = getattr(record, "check", None)
            if own_check is not None:
                own_check()
            refusals.append(None)
        except CunguanError as exc:
            refusals.append(exc)
        normalized.append(record)
    return normalized, refusals


def _canonical(content: Data) -> str:
    return json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)


def _digest(operation: str, content: Data, canonical: str | None = None) -> int:
    """The request's content hash: blake2b of the JSON text of ``[operation, content]``,
    spelt from the content's canonical text when it is at hand (the same text, so the same
    hash as every recorded request's)."""
    body = _canonical(content) if canonical is None else canonical
    text = f"[{json.dumps(operation, ensure_ascii=False)}, {body}]"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big",
                          signed=True)


def _to_run(items: Sequence[tuple[str, Data]], answered: Collection[int],
            recorded: set[str]) -> list[int]:
    """The requests of a set-based call to run (by index): each serial no.'s first, unless
    answered already, recorded before or malformed."""
    seen: set[str] = set()
    chosen = []
    for index, (no, _) in enumerate(items):
        if index in answered or no in recorded or no in seen or not _request_no_ok(no):
            continue
        seen.add(no)
        chosen.append(index)
    return chosen


def differing_fields(recorded: Data, sent: Data) -> list[str]:
    """The fields whose values differ between a recorded request and a new one."""
    sent = json.loads(_canonical(sent))
    return sorted(k for k in recorded.keys() | sent.keys() if recorded.get(k) != sent.get(k))
