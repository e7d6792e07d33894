"""The push receiver's HTTP side: the subscriptions, the control API, and the push endpoint."""

import base64
import json
import os
import secrets
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from checks import b64url_decode, b64url_encode, check_vapid, decrypt_push, error_text, p256_public_key

# The body of a control request; push bodies are read whole whatever their size (and checked).
MAX_CONTROL_BODY = 1 << 20


class BadRequest(Exception):
    """A request the receiver refuses with 400 and this message."""


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
