"""The push receiver's checks of a push message: its VAPID (RFC 8292) and its payload (RFC 8291)."""

import base64
import binascii
import math
import re
import struct
import time

import http_ece
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

# RFC 8292 §2: the JWT's expiry is at most 24 hours after the request. The tolerance covers
# claims rounded to whole seconds and the sender's clock read a moment before ours.
MAX_EXPIRY_SECONDS = 24 * 60 * 60
CLOCK_TOLERANCE_SECONDS = 2
# RFC 8291 §4: a push service need not take more than 4096 octets of body.
MAX_BODY = 4096
B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text, *, strict):
    """Base64url. Strict: RFC 7515's form, no padding; otherwise padding is tolerated."""
    if not isinstance(text, str):
        raise ValueError("not a string")
    if not strict:
        text = text.rstrip("=")
    if not B64URL.match(text):
        raise ValueError("not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"not base64url: {e}") from None


def p256_public_key(raw):
    """A P-256 public key from its 65-octet uncompressed point (X9.62)."""
    if len(raw) != 65 or raw[0] != 4:
        raise ValueError(f"not a 65-octet uncompressed P-256 point ({len(raw)} octets)")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)


def error_text(e):
    # http_ece's ECEException keeps its text in .message, not in args.
    text = getattr(e, "message", None) or str(e)
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def parse_authorization(value):
    """`vapid t=<JWT>, k=<key>` (RFC 8292 §3) → (t, k). Raises ValueError saying what is wrong."""
    if value is None:
        raise ValueError("no Authorization header")
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError(f"the Authorization scheme is {scheme!r}, not vapid")
    params = {}
    for part in rest.split(","):
        part = part.strip()
        if not part:
            continue
        name, eq, val = part.partition("=")
        if not eq:
            raise ValueError(f"malformed Authorization parameter {part!r}")
        name = name.strip().lower()
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1]
        if name in params:
            raise ValueError(f"the Authorization parameter {name} appears twice")
        params[name] = val
    if "t" not in params:
        raise ValueError("the Authorization header has no t (the JWT)")
    if "k" not in params:
        raise ValueError("the Authorization header has no k (the public key)")
    return params["t"], params["k"]


def check_vapid(authorization, origin, expected_raw):
    """RFC 8292: the JWT verifies (ES256) against the key in k, k is the expected key, aud is
    the push resource's origin, exp is in the future and at most 24 h ahead, sub is a contact."""
    result = {"valid": False, "error": None, "claims": None, "k": None}
    try:
        token, k = parse_authorization(authorization)
    except ValueError as e:
        result["error"] = str(e)
        return result
    result["k"] = k
    try:
        k_raw = b64url_decode(k, strict=True)
        public_key = p256_public_key(k_raw)
    except ValueError as e:
        result["error"] = f"k is not a P-256 public key in unpadded base64url: {e}"
        return result
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as e:
        result["error"] = f"t is not a JWT: {error_text(e)}"
        return result
    if header.get("alg") != "ES256":
        result["error"] = f"the JWT's alg is {header.get('alg')!r}, not ES256"
        return result
    # The signature alone first, so that the claims are reported whenever it holds.
    try:
        claims = jwt.decode(
            token,
            key=public_key,
            algorithms=["ES256"],
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
                "verify_sub": False,
                "verify_jti": False,
            },
        )
    except jwt.PyJWTError as e:
        result["error"] = f"the JWT does not verify against k: {error_text(e)}"
        return result
    result["claims"] = claims
    if expected_raw is not None and k_raw != expected_raw:
        result["error"] = (
            f"k is not the server's VAPID public key (expected {b64url_encode(expected_raw)})"
        )
        return result
    # Then PyJWT's own claim checks.
    try:
        jwt.decode(
            token,
            key=public_key,
            algorithms=["ES256"],
            audience=origin,
            leeway=CLOCK_TOLERANCE_SECONDS,
            options={"require": ["exp", "aud", "sub"], "strict_aud": True},
        )
    except jwt.PyJWTError as e:
        result["error"] = f"the JWT's claims: {error_text(e)} (aud must be {origin})"
        return result
    # And RFC 8292's, exactly.
    now = time.time()
    aud, exp, sub = claims.get("aud"), claims.get("exp"), claims.get("sub")
    if aud != origin:
        result["error"] = f"aud is {aud!r}, not the push resource's origin {origin!r}"
    elif not isinstance(exp, (int, float)) or isinstance(exp, bool):
        result["error"] = f"exp is not a number: {exp!r}"
    elif exp <= now:
        result["error"] = f"exp {exp} is not in the future (now {now:.0f})"
    elif exp > now + MAX_EXPIRY_SECONDS + CLOCK_TOLERANCE_SECONDS:
        result["error"] = f"exp {exp} is {exp - now:.0f} s ahead, more than 24 h"
    elif not isinstance(sub, str) or not (sub.startswith("mailto:") or sub.startswith("https:")):
        result["error"] = f"sub is {sub!r}, neither a mailto: nor an https: URI"
    else:
        result["valid"] = True
    return result


def parse_ece_header(body):
    """The aes128gcm header (RFC 8188 §2.1): salt, rs, keyid; and the record count."""
    if len(body) < 21:
        raise ValueError(f"the body is {len(body)} octets, shorter than the aes128gcm header")
    rs = struct.unpack("!L", body[16:20])[0]
    idlen = body[20]
    if len(body) < 21 + idlen:
        raise ValueError("the body ends inside the keyid")
    ciphertext = len(body) - 21 - idlen
    return {
        "rs": rs,
        "keyid_length": idlen,
        "keyid": b64url_encode(body[21 : 21 + idlen]),
        "records": math.ceil(ciphertext / rs) if rs > 0 else None,
        "ciphertext_length": ciphertext,
    }


def decrypt_push(subscription, content_encoding, body):
    """(plaintext or None, the first problem or None, the header's fields or None)."""
    if content_encoding is None:
        return None, "no Content-Encoding header (must be aes128gcm)", None
    if content_encoding.strip().lower() != "aes128gcm":
        return None, f"Content-Encoding is {content_encoding!r}, not exactly aes128gcm", None
    ece = None
    try:
        ece = parse_ece_header(body)
    except ValueError as e:
        return None, f"aes128gcm header: {e}", None
    try:
        plaintext = http_ece.decrypt(
            body,
            private_key=subscription.private_key,
            auth_secret=subscription.auth,
            version="aes128gcm",
        )
    except Exception as e:  # whatever http_ece or cryptography raise on a bad body
        return None, f"decryption failed: {error_text(e)}", ece
    # RFC 8291 §4's restrictions, beyond what decrypting checked.
    problem = None
    if ece["keyid_length"] != 65:
        problem = f"keyid is {ece['keyid_length']} octets, not the 65-octet sender public key"
    elif ece["records"] != 1:
        problem = f"{ece['records']} records, not a single record (rs {ece['rs']})"
    elif len(body) > MAX_BODY:
        problem = f"the body is {len(body)} octets, more than RFC 8291's {MAX_BODY}"
    return plaintext, problem, ece
