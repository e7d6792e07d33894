#!/usr/bin/env python3
"""A local Web Push service for the tests: it plays the browser's push service.

It hands out subscriptions shaped as a browser's PushSubscription.toJSON(), and checks every
push message sent to them with libraries independent of the server's: the payload is decrypted
with http-ece (RFC 8291's aes128gcm, RFC 8188), the VAPID signature (RFC 8292) is verified with
PyJWT and cryptography. Every push request is recorded and answered as the test scripted.

    python receiver.py [--port N] [--vapid-public-key B64URL] [--stop-on-stdin-eof]

Its first line on standard output is `listening on http://127.0.0.1:PORT`; it prints nothing else
there. The control API (JSON) and the checks are described in tests/push/README.md.
"""

import argparse
import base64
import binascii
import json
import math
import os
import re
import secrets
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# RFC 8292 §2: the JWT's expiry is at most 24 hours after the request. The tolerance covers
# claims rounded to whole seconds and the sender's clock read a moment before ours.
MAX_EXPIRY_SECONDS = 24 * 60 * 60
CLOCK_TOLERANCE_SECONDS = 2
# RFC 8291 §4: a push service need not take more than 4096 octets of body.
MAX_BODY = 4096
# The body of a control request; push bodies are read whole whatever their size (and checked).
MAX_CONTROL_BODY = 1 << 20
B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


class BadRequest(Exception):
    """A request the receiver refuses with 400 and this message."""


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


class Subscription:
    def __init__(self, sid):
        self.sid = sid
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.public_raw = self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        self.auth = os.urandom(16)
        self.answers = []  # the statuses scripted for the next pushes, in order
        self.expired = False
        self.delivered = 0


class State:
    def __init__(self, vapid_public_raw=None):
        self.lock = threading.Lock()
        self.subscriptions = {}
        self.received = []
        self.vapid_public_raw = vapid_public_raw
        self.origin = None  # http://127.0.0.1:PORT, set once bound


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


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "tutorchat-push-receiver"
        sys_version = ""

        def log_message(self, format, *args):  # quiet: the tests read /_control/received
            pass

        # --- plumbing ---------------------------------------------------------------------
        def read_body(self, limit=None):
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                data = b""
                while True:
                    line = self.rfile.readline(65537)
                    size = int(line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                            pass
                        break
                    data += self.rfile.read(size)
                    self.rfile.readline(65537)
                    if limit is not None and len(data) > limit:
                        raise BadRequest("body too large")
                return data
            length = self.headers.get("Content-Length")
            if length is None:
                return b""
            try:
                length = int(length)
            except ValueError:
                self.close_connection = True
                raise BadRequest("bad Content-Length") from None
            if length < 0 or (limit is not None and length > limit):
                self.close_connection = True
                raise BadRequest("bad Content-Length")
            return self.rfile.read(length)

        def reply(self, status, body=None, headers=()):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            if status != 204 and not 100 <= status < 200:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        def json_body(self):
            raw = self.read_body(MAX_CONTROL_BODY)
            if not raw.strip():
                return {}
            try:
                body = json.loads(raw)
            except ValueError as e:
                raise BadRequest(f"not JSON: {e}") from None
            if not isinstance(body, dict):
                raise BadRequest("the body is not a JSON object")
            return body

        def dispatch(self, method):
            path = self.path.split("?", 1)[0]
            try:
                if path.startswith("/push/") and method == "POST":
                    return self.push(path[len("/push/") :])
                if path.startswith("/_control/"):
                    return self.control(method, path[len("/_control/") :])
                self.read_body(MAX_CONTROL_BODY)
                self.reply(404, {"error": f"no {method} {path} here"})
            except BadRequest as e:
                self.reply(400, {"error": str(e)})
            except Exception as e:  # never die on a request: report it and answer 400
                traceback.print_exc(file=sys.stderr)
                self.close_connection = True
                try:
                    self.reply(400, {"error": f"the receiver failed on this request: {error_text(e)}"})
                except OSError:
                    pass

        def do_GET(self):
            self.dispatch("GET")

        def do_POST(self):
            self.dispatch("POST")

        def do_DELETE(self):
            self.dispatch("DELETE")

        def do_PUT(self):
            self.dispatch("PUT")

        # --- the control API --------------------------------------------------------------
        def control(self, method, rest):
            parts = [p for p in rest.split("/") if p]
            if method == "POST" and parts == ["subscriptions"]:
                self.json_body()
                with state.lock:
                    sid = secrets.token_hex(8)
                    while sid in state.subscriptions:
                        sid = secrets.token_hex(8)
                    sub = Subscription(sid)
                    state.subscriptions[sid] = sub
                return self.reply(
                    201,
                    {
                        "id": sid,
                        "subscription": {
                            "endpoint": f"{state.origin}/push/{sid}",
                            "expirationTime": None,
                            "keys": {
                                "p256dh": b64url_encode(sub.public_raw),
                                "auth": b64url_encode(sub.auth),
                            },
                        },
                    },
                )
            if method == "POST" and parts == ["vapid"]:
                body = self.json_body()
                try:
                    raw = b64url_decode(body.get("public_key"), strict=False)
                    p256_public_key(raw)
                except ValueError as e:
                    raise BadRequest(f"public_key: {e}") from None
                with state.lock:
                    state.vapid_public_raw = raw
                return self.reply(204)
            if method == "POST" and len(parts) == 3 and parts[0] == "subscriptions" and parts[2] == "answers":
                body = self.json_body()
                statuses = body.get("statuses")
                if not isinstance(statuses, list) or not all(
                    isinstance(s, int) and not isinstance(s, bool) and 200 <= s <= 599 for s in statuses
                ):
                    raise BadRequest("statuses: a list of HTTP statuses (200-599)")
                with state.lock:
                    sub = state.subscriptions.get(parts[1])
                    if sub is not None:
                        sub.answers.extend(statuses)
                if sub is None:
                    return self.reply(404, {"error": f"no subscription {parts[1]}"})
                return self.reply(204)
            if method == "DELETE" and len(parts) == 2 and parts[0] == "subscriptions":
                self.read_body(MAX_CONTROL_BODY)
                with state.lock:
                    sub = state.subscriptions.get(parts[1])
                    if sub is not None:
                        sub.expired = True
                if sub is None:
                    return self.reply(404, {"error": f"no subscription {parts[1]}"})
                return self.reply(204)
            if method == "GET" and parts == ["received"]:
                with state.lock:
                    received = json.loads(json.dumps(state.received))
                return self.reply(200, {"received": received})
            if method == "POST" and parts == ["reset"]:
                self.read_body(MAX_CONTROL_BODY)
                with state.lock:
                    state.received.clear()
                return self.reply(204)
            self.read_body(MAX_CONTROL_BODY)
            return self.reply(404, {"error": f"no control {method} /_control/{rest}"})

        # --- a push message ---------------------------------------------------------------
        def push(self, sid):
            headers = {
                "ttl": self.headers.get("TTL"),
                "urgency": self.headers.get("Urgency"),
                "topic": self.headers.get("Topic"),
                "content_encoding": self.headers.get("Content-Encoding"),
                "content_type": self.headers.get("Content-Type"),
            }
            record = {
                "sid": sid,
                "answered": None,
                "at": time.time(),
                "headers": headers,
                "vapid": {"valid": False, "error": None, "claims": None, "k": None},
                "payload": None,
                "payload_text": None,
                "decrypt_error": None,
                "body_length": None,
                "ece": None,
            }
            try:
                status, extra = self.check_push(sid, record)
            except Exception as e:  # a bug here, or input nobody foresaw: recorded, 400
                traceback.print_exc(file=sys.stderr)
                record["decrypt_error"] = record["decrypt_error"] or f"the receiver failed: {error_text(e)}"
                self.close_connection = True
                status, extra = 400, []
            record["answered"] = status
            with state.lock:
                state.received.append(record)
            self.reply(status, None, extra)

        def check_push(self, sid, record):
            try:
                body = self.read_body()
            except BadRequest as e:
                record["decrypt_error"] = f"the body could not be read: {e}"
                return 400, []
            record["body_length"] = len(body)
            with state.lock:
                sub = state.subscriptions.get(sid)
                expected = state.vapid_public_raw
            if sub is None:
                record["decrypt_error"] = "no such subscription"
                record["vapid"]["error"] = "no such subscription"
                return 404, []

            record["vapid"] = check_vapid(self.headers.get("Authorization"), state.origin, expected)
            plaintext, problem, ece = decrypt_push(sub, record["headers"]["content_encoding"], body)
            record["ece"] = ece
            record["decrypt_error"] = problem
            if plaintext is not None:
                try:
                    text = plaintext.decode("utf-8")
                except UnicodeDecodeError:
                    record["payload_base64"] = base64.b64encode(plaintext).decode("ascii")
                else:
                    record["payload_text"] = text
                    try:
                        record["payload"] = json.loads(text)
                    except ValueError:
                        pass

            with state.lock:
                if sub.expired:
                    return 410, []
                if record["decrypt_error"] is not None or not record["vapid"]["valid"]:
                    return 400, []  # undeliverable: the scripted answers are kept for the next
                status = sub.answers.pop(0) if sub.answers else 201
                if 200 <= status < 300:
                    sub.delivered += 1
            extra = []
            if status == 201:
                extra.append(("Location", f"/push/{sid}/messages/{sub.delivered}"))
            if status == 429:
                extra.append(("Retry-After", "1"))
            return status, extra

    return Handler


def main():
    parser = argparse.ArgumentParser(description="A local Web Push service for the tests.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--vapid-public-key", help="the VAPID public key every push must carry (base64url)")
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="exit when standard input closes (the test that started it is gone)",
    )
    args = parser.parse_args()

    expected = None
    if args.vapid_public_key:
        try:
            expected = b64url_decode(args.vapid_public_key, strict=False)
            p256_public_key(expected)
        except ValueError as e:
            parser.error(f"--vapid-public-key: {e}")

    state = State(expected)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    server.daemon_threads = True
    port = server.server_address[1]
    state.origin = f"http://127.0.0.1:{port}"
    print(f"listening on {state.origin}", flush=True)

    if args.stop_on_stdin_eof:

        def watch_stdin():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            finally:
                os._exit(0)

        threading.Thread(target=watch_stdin, daemon=True).start()

    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
