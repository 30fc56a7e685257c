"""Receipt codes: shown once to the writer, stored only as a slow salted hash.

A code is 16 characters from Crockford's base-32 alphabet (80 random bits), shown in four
groups. The first group is a random lookup key (stored as it is, so the thread can be found);
the other twelve characters are the secret, stored as ``scrypt`` with a random salt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LOOKUP_LEN = 4
SECRET_LEN = 12
_N, _R, _P = 2**14, 8, 1
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LOOKUP_LEN + SECRET_LEN))
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise(code: str) -> str | None:
    """The code without spaces or dashes, upper case, confusable letters read as digits;
    None when it cannot be a code."""
    clean = "".join(ch for ch in code.upper() if ch not in " -\t\n").translate(_CONFUSABLE)
    if len(clean) != LOOKUP_LEN + SECRET_LEN or any(ch not in ALPHABET for ch in clean):
        return None
    return clean


def split(code: str) -> tuple[str, str] | None:
    clean = normalise(code)
    if clean is None:
        return None
    return clean[:LOOKUP_LEN], clean[LOOKUP_LEN:]


def hash_secret(secret: str, *, salt: bytes | None = None) -> str:
    """``scrypt$<salt hex>$<hash hex>``; a new random salt unless one is given."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_secret(secret: str, stored: str) -> bool:
    try:
        scheme, salt_hex, _ = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    return hmac.compare_digest(hash_secret(secret, salt=bytes.fromhex(salt_hex)), stored)
