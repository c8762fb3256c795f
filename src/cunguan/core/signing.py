"""Request, response and callback signatures (docs/API.md, "Signing").

A signature covers one canonical text, the same for both algorithms::

    <algorithm>\\n<METHOD>\\n<path?query>\\n<timestamp>\\n<nonce>\\n<hex sha256 of the body>

HMAC-SHA256 signs it with the platform's shared secret; SM2-with-SM3 (GM/T 0003, GM/T 0009
with the default signer ID 1234567812345678) signs it with the platform's private key and the
bank verifies with the registered public key. Responses and callbacks are signed the same way
by the bank: a response's "method" is ``RESPONSE <status>`` and its "nonce" the request's.
Pure functions: no clock, no store; callers pass ``now`` and remember nonces.
"""

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any, Final

from cunguan.core import limits
from cunguan.core.fields import FieldInvalid

HMAC_SHA256: Final = "HMAC-SHA256"
SM2_SM3: Final = "SM2-SM3"
ALGORITHMS: Final = (HMAC_SHA256, SM2_SM3)
#: The SM2 curve's generator point G (GM/T 0003.5), as a public key: the key whose private
#: key is 1, which no one registers. An unknown key's SM2 request is checked against it.
SM2_STAND_IN_PUBLIC_KEY: Final = (
    "32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7"
    "bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0")
_TIMESTAMP: Final = re.compile(f"[0-9]{{1,{limits.timestamp_digits_max}}}")
_NONCE: Final = re.compile(f"[A-Za-z0-9]{{8,{limits.nonce_length_max}}}")
_KEY_ID: Final = re.compile(f"[A-Za-z0-9_]{{1,{limits.key_id_length_max}}}")
_SIGNATURE: Final = re.compile(f"[A-Za-z0-9+/=]{{1,{limits.signature_length_max}}}")
#: An SM2 signature r‖s or public key x‖y (128), a private key d (64), and a public key as
#: given (x‖y, optionally after the uncompressed point's 04); 64 ASCII hex digits a number.
_HEX_128: Final = re.compile(r"[0-9A-Fa-f]{128}")
_SM2_PRIVATE_KEY: Final = re.compile(r"[0-9A-Fa-f]{64}")
_SM2_PUBLIC_KEY: Final = re.compile(r"(?:04)?([0-9A-Fa-f]{128})")

HEADER_KEY: Final = "X-Cunguan-Key"
HEADER_ALGORITHM: Final = "X-Cunguan-Algorithm"
HEADER_TIMESTAMP: Final = "X-Cunguan-Timestamp"
HEADER_NONCE: Final = "X-Cunguan-Nonce"
HEADER_SIGNATURE: Final = "X-Cunguan-Signature"


class SignatureError(Exception):
    """A signature refused; ``code`` names why (listed in docs/ERRORS.md)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Signed:
    """The five signature headers of one request, response or callback."""

    key_id: str
    algorithm: str
    timestamp: int
    nonce: str
    signature: str

    def headers(self) -> dict[str, str]:
        return {HEADER_KEY: self.key_id, HEADER_ALGORITHM: self.algorithm,
                HEADER_TIMESTAMP: str(self.timestamp), HEADER_NONCE: self.nonce,
                HEADER_SIGNATURE: self.signature}


def canonical_text(algorithm: str, method: str, target: str, timestamp: int, nonce: str,
                   body: bytes) -> bytes:
    """The text that is signed; ``target`` is the path with its query string as sent."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((algorithm, method.upper(), target, str(timestamp), nonce,
                      digest)).encode()


def new_nonce() -> str:
    return secrets.token_hex(16)


def sign(text: bytes, algorithm: str, key: str) -> str:
    """``key``: the shared secret for HMAC, the private key (64 hex digits) for SM2."""
    if algorithm == HMAC_SHA256:
        mac = hmac.new(key.encode(), text, hashlib.sha256).digest()
        return base64.b64encode(mac).decode()
    if algorithm == SM2_SM3:
        private = _sm2_private_key(key)
        signer = _sm2(private, sm2_public_key_of(private))
        while True:   # gmssl gives None when r = 0, r + k = n or s = 0: another k (§6.1 A3)
            signature: str | None = signer.sign_with_sm3(text, _sm2_nonce())
            if signature is not None:
                return signature
    raise SignatureError("signature_algorithm_unknown", f"unknown algorithm {algorithm}")


def verify(text: bytes, algorithm: str, key: str, signature: str) -> bool:
    """``key``: the shared secret for HMAC, the public key (128 hex digits) for SM2."""
    if algorithm == HMAC_SHA256:   # compare_digest raises on non-ASCII text
        return (isinstance(signature, str) and signature.isascii()
                and hmac.compare_digest(sign(text, algorithm, key), signature))
    if algorithm == SM2_SM3:
        return _sm2_verify(text, key, signature)
    raise SignatureError("signature_algorithm_unknown", f"unknown algorithm {algorithm}")


def sign_request(key_id: str, algorithm: str, key: str, method: str, target: str,
                 body: bytes, now_s: int, nonce: str | None = None) -> Signed:
    nonce = nonce or new_nonce()
    text = canonical_text(algorithm, method, target, now_s, nonce, body)
    return Signed(key_id, algorithm, now_s, nonce, sign(text, algorithm, key))


def check_fresh(timestamp: str, nonce: str, now_s: int) -> int:
    """The timestamp as an int when within ``limits.signed_clock_skew_max_s`` of ``now_s`` and
    the nonce is well formed; otherwise a named refusal. Parsed strictly: ``str.isdigit``
    takes ``²`` and ``٣`` (which ``int`` then refuses), and ``int`` of 5,000 digits costs what
    an attacker likes; only 1 to ``limits.timestamp_digits_max`` ASCII digits are a timestamp."""
    if not isinstance(timestamp, str) or _TIMESTAMP.fullmatch(timestamp) is None:
        raise SignatureError("signature_missing", "the timestamp header is not a number")
    stamp = int(timestamp)
    if abs(now_s - stamp) > limits.signed_clock_skew_max_s:
        raise SignatureError("signature_expired", f"the timestamp is more than "
                             f"{limits.signed_clock_skew_max_s} s from the bank's clock")
    if not isinstance(nonce, str) or _NONCE.fullmatch(nonce) is None:
        raise SignatureError("signature_missing", "the nonce is 8 to 64 letters and digits")
    return stamp


def key_id_well_formed(key_id: str) -> bool:
    return _KEY_ID.fullmatch(key_id) is not None


def check_form(key_id: str, algorithm: str, signature: str) -> None:
    """The other signature headers, before anything is looked up by them: a key id of
    1 to ``limits.key_id_length_max`` ASCII letters, digits and ``_``, a known algorithm, and a
    signature of at most ``limits.signature_length_max`` base64 or hex characters."""
    if not key_id_well_formed(key_id):
        raise SignatureError("signature_missing", "the key id is 1 to 64 letters, digits and _")
    if algorithm not in ALGORITHMS:
        raise SignatureError("signature_algorithm_unknown", "the algorithm is neither "
                             f"{HMAC_SHA256} nor {SM2_SM3}")
    if _SIGNATURE.fullmatch(signature) is None:
        raise SignatureError("signature_missing", "the signature is base64 or hex, at most "
                             f"{limits.signature_length_max} characters")


def verify_signed(algorithm: str, key: str, method: str, target: str, timestamp: str,
                  nonce: str, body: bytes, signature: str, now_s: int) -> bool:
    """Whether a request, callback or return is signed by ``key``; a stale or malformed
    timestamp or nonce is a named refusal (``check_fresh``)."""
    stamp = check_fresh(timestamp, nonce, now_s)
    text = canonical_text(algorithm, method, target, stamp, nonce, body)
    return verify(text, algorithm, key, signature)


def response_text(algorithm: str, status: int, request_nonce: str, timestamp: int,
                  body: bytes) -> bytes:
    return canonical_text(algorithm, f"RESPONSE {status}", "", timestamp, request_nonce, body)


# -- SM2 keys --------------------------------------------------------------------------------
def sm2_keypair() -> tuple[str, str]:
    """A new (private key, public key) pair as hex: 64 and 128 digits; d from 2 to n - 2."""
    private = f"{secrets.randbelow(_sm2_curve('n') - 3) + 2:064x}"   # 1 is the generator
    return private, sm2_public_key_of(private)


def sm2_public_key_of(private_key: str) -> str:
    """The public key (128 hex digits, x then y) of a private key of 64 hex digits."""
    from gmssl import sm2

    private = _sm2_private_key(private_key)
    public: str = _sm2(private, "")._kg(int(private, 16), sm2.default_ecc_table["g"])
    return public


def sm2_public_key(value: object, field: str = "sm2_public_key") -> str:
    """A platform's SM2 public key as it is kept: 128 lowercase hex digits, x then y, of a
    point of the curve. Taken as 128 hex digits, or as 130 with the uncompressed point's
    prefix 04 (as OpenSSL and GmSSL print it). The generator is refused: its private key is
    1, and it stands in for unknown keys."""
    match = _SM2_PUBLIC_KEY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise FieldInvalid(field, "must be 128 hex digits, x then y, optionally after 04")
    key = _point(value)
    if key is None:
        raise FieldInvalid(field, "is not a point of the SM2 curve")
    if key == SM2_STAND_IN_PUBLIC_KEY:
        raise FieldInvalid(field, "is the curve's generator, whose private key is 1")
    return key


def _sm2_private_key(value: object) -> str:
    """A private key d: 64 hex digits with 1 <= d <= n - 2 (GM/T 0003.1 §6.1)."""
    if (not isinstance(value, str) or _SM2_PRIVATE_KEY.fullmatch(value) is None
            or not 1 <= int(value, 16) <= _sm2_curve("n") - 2):
        raise FieldInvalid("sm2_private_key", "must be 64 hex digits, from 1 to n - 2")
    return value.lower()


def _sm2_verify(text: bytes, key: str, signature: str) -> bool:
    """GM/T 0003.2 §7.1. r and s outside [1, n - 1] fail at once (B1, B2), and so does a key
    that is not a point of the curve (a row written before keys were checked); one written
    as 04 and x‖y is read as x‖y. The generator is a point: it is the stand-in key, checked
    as any other so that an unknown key's refusal takes as long. gmssl takes
    the point at infinity for None and then fails on it: a signature built so that
    s·G + t·P is that point, which anyone can build against the generator, verifies nothing."""
    point = _point(key)   # as kept, or 04 and as kept (a row written before keys were checked)
    if point is None or not isinstance(signature, str) or _HEX_128.fullmatch(signature) is None:
        return False
    n = _sm2_curve("n")
    r, s = int(signature[:64], 16), int(signature[64:], 16)
    if not (1 <= r < n and 1 <= s < n and (r + s) % n):
        return False
    try:
        return bool(_sm2("", point).verify_with_sm3(signature, text))
    except TypeError:   # None for the point at infinity, as above
        return False


def _point(value: object) -> str | None:
    """x‖y as 128 lowercase hex digits when ``value`` is a point of the curve written as
    x‖y or 04‖x‖y, else None."""
    match = _SM2_PUBLIC_KEY.fullmatch(value) if isinstance(value, str) else None
    key = None if match is None else match.group(1).lower()
    return key if key is not None and _on_curve(key) else None


def _on_curve(key: str) -> bool:
    """Whether x‖y is an affine point of the SM2 curve (cofactor 1: every such point is of
    order n, so none is the point at infinity or of small order)."""
    p, a, b = _sm2_curve("p"), _sm2_curve("a"), _sm2_curve("b")
    x, y = int(key[:64], 16), int(key[64:], 16)
    return x < p and y < p and (y * y - (x * x * x + a * x + b)) % p == 0


def _sm2_curve(name: str) -> int:
    from gmssl import sm2

    return int(sm2.default_ecc_table[name], 16)


def _sm2(private_key: str, public_key: str) -> Any:
    """gmssl's signer. Its constructor strips a public key's leading ``04`` with
    ``lstrip("04")``, which also takes the key's own leading 0s and 4s (one key in 256), so
    the key is set after construction."""
    from gmssl import sm2

    signer = sm2.CryptSM2(private_key=private_key, public_key="")
    signer.public_key = public_key
    return signer


def _sm2_nonce() -> str:
    """The per-signature secret k, from the OS's random source (gmssl's default is not)."""
    return f"{secrets.randbelow(_sm2_curve('n') - 1) + 1:064x}"
