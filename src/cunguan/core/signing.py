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
        signature: str = _sm2(private_key=key).sign_with_sm3(text, _sm2_nonce())
        return signature
    raise SignatureError("signature_algorithm_unknown", f"unknown algorithm {algorithm}")


def verify(text: bytes, algorithm: str, key: str, signature: str) -> bool:
    """``key``: the shared secret for HMAC, the public key (128 hex digits) for SM2."""
    if algorithm == HMAC_SHA256:
        return hmac.compare_digest(sign(text, algorithm, key), signature)
    if algorithm == SM2_SM3:
        if len(signature) != 128 or not _is_hex(signature):
            return False
        return bool(_sm2(public_key=key).verify_with_sm3(signature, text))
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
    """A new (private key, public key) pair as hex: 64 and 128 digits."""
    from gmssl import sm2

    curve = sm2.default_ecc_table
    private = secrets.randbelow(int(curve["n"], 16) - 2) + 1
    signer = sm2.CryptSM2(private_key=f"{private:064x}", public_key="")
    public: str = signer._kg(private, curve["g"])
    return f"{private:064x}", public


def _sm2(private_key: str = "", public_key: str = "") -> Any:
    from gmssl import sm2

    if private_key and not public_key:
        private = int(private_key, 16)
        public_key = sm2.CryptSM2(private_key=private_key, public_key="")._kg(
            private, sm2.default_ecc_table["g"])
    return sm2.CryptSM2(private_key=private_key, public_key=public_key)


def _sm2_nonce() -> str:
    """The per-signature secret k, from the OS's random source (gmssl's default is not)."""
    from gmssl import sm2

    return f"{secrets.randbelow(int(sm2.default_ecc_table['n'], 16) - 1) + 1:064x}"


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True
