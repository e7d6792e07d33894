#!/usr/bin/env python3
"""The push receiver's self-test: starts tests/push/receiver.py and sends it push messages as an
application server would, built with the same libraries used independently (http_ece.encrypt
with a fresh ephemeral key, a VAPID JWT signed by PyJWT), good ones and bad ones, and checks
what it recorded and answered.

    .data/push-venv/bin/python tests/push/selftest.py      (after scripts/lib.sh's ensure_push_receiver)

Exits 0 when every check holds; otherwise prints the ones that failed and exits 1.
"""

import base64
import json
import os
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request

import http_ece
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))
failures = []
checks = 0


def check(condition, what, detail=None):
    global checks
    checks += 1
    if not condition:
        failures.append(what if detail is None else f"{what}: {detail}")
        print(f"FAIL {what}" + ("" if detail is None else f"\n     {detail}"), flush=True)


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(private_key):
    return private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def request(method, url, body=None, headers=None):
    """(status, headers, parsed JSON body or None)."""
    data = None
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif body is not None:
        data = body
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            status, got, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        status, got, raw = e.code, e.headers, e.read()
    return status, got, (json.loads(raw) if raw else None)


class Sender:
    """An application server: its VAPID key pair and contact."""

    def __init__(self, vapid_key=None, contact="mailto:push-test@example.org"):
        self.vapid_key = vapid_key or ec.generate_private_key(ec.SECP256R1())
        self.contact = contact

    def push(self, subscription, payload, *, rs=4096, aud=None, exp_in=3600, sub=None,
             sign_with=None, k=None, headers=None, tamper=False, content_encoding="aes128gcm",
             patch_rs=None):
        endpoint = subscription["endpoint"]
        origin = endpoint.split("/push/")[0]
        body = http_ece.encrypt(
            payload,
            private_key=ec.generate_private_key(ec.SECP256R1()),  # fresh ephemeral key
            dh=unb64u(subscription["keys"]["p256dh"]),
            auth_secret=unb64u(subscription["keys"]["auth"]),
            rs=rs,
            version="aes128gcm",
        )
        if tamper:
            body = body[:-1] + bytes([body[-1] ^ 1])
        if patch_rs is not None:
            body = body[:16] + patch_rs.to_bytes(4, "big") + body[20:]
        claims = {"aud": origin if aud is None else aud, "exp": int(time.time()) + exp_in,
                  "sub": self.contact if sub is None else sub}
        token = jwt.encode(claims, sign_with or self.vapid_key, algorithm="ES256",
                           headers={"typ": "JWT"})
        k = b64u(raw_public(self.vapid_key)) if k is None else k
        sent = {"TTL": "60", "Urgency": "normal", "Content-Type": "application/octet-stream",
                "Authorization": f"vapid t={token}, k={k}"}
        if content_encoding is not None:
            sent["Content-Encoding"] = content_encoding
        sent.update(headers or {})
        return request("POST", endpoint, body, sent)


def main():
    python = sys.executable
    proc = subprocess.Popen(
        [python, os.path.join(HERE, "receiver.py"), "--port", "0", "--stop-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline().rstrip("\n")
        check(line.startswith("listening on http://127.0.0.1:"), "the first line", repr(line))
        base = line[len("listening on "):]
        try:
            run(base)
            check(proc.poll() is None, "the receiver is still running after every test")
            run_with_key_option(python)
        except Exception:
            traceback.print_exc()
            check(False, "the self-test ran to its end", "it raised the exception above")
    finally:
        proc.stdin.close()  # --stop-on-stdin-eof: it exits by itself
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            failures.append("the receiver did not exit when its standard input closed")
    if failures:
        print(f"push receiver self-test: {len(failures)} of {checks} checks FAILED:")
        for f in failures:
            print(f"  - {f}")
        return 1
    print(f"push receiver self-test: {checks} passed, 0 failed")
    return 0


def received(base):
    status, _, body = request("GET", f"{base}/_control/received")
    assert status == 200, status
    return body["received"]


def last(base):
    got = received(base)
    return got[-1] if got else {}


def run(base):
    server = Sender()
    status, _, _ = request("POST", f"{base}/_control/vapid", {"public_key": b64u(raw_public(server.vapid_key))})
    check(status == 204, "POST /_control/vapid answers 204", status)

    # A subscription, as a browser's PushSubscription.toJSON().
    status, _, created = request("POST", f"{base}/_control/subscriptions", {})
    check(status == 201, "POST /_control/subscriptions answers 201", status)
    sid, subscription = created["id"], created["subscription"]
    check(subscription["endpoint"] == f"{base}/push/{sid}", "the endpoint", subscription["endpoint"])
    check(subscription["expirationTime"] is None, "expirationTime is null")
    check(sorted(subscription["keys"]) == ["auth", "p256dh"], "keys has p256dh and auth", subscription["keys"])
    p256dh, auth = subscription["keys"]["p256dh"], subscription["keys"]["auth"]
    check("=" not in p256dh + auth, "the keys are unpadded base64url", subscription["keys"])
    check(len(unb64u(p256dh)) == 65 and unb64u(p256dh)[0] == 4, "p256dh is a 65-octet uncompressed point")
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(p256dh))
    check(len(unb64u(auth)) == 16, "auth is 16 octets")

    # 1. A good push: decrypted, VAPID verified, answered 201.
    message = {"kind": "message", "chat": "c1", "text": "Привет, мир"}
    status, headers, _ = server.push(subscription, json.dumps(message).encode(), headers={"Topic": "c1"})
    check(status == 201, "a good push is answered 201", status)
    check((headers.get("Location") or "").startswith(f"/push/{sid}/messages/"), "201 carries a Location", headers)
    r = last(base)
    check(r.get("sid") == sid and r.get("answered") == 201, "the good push is recorded as answered 201", r)
    check(r["vapid"]["valid"] is True and r["vapid"]["error"] is None, "its VAPID verifies", r["vapid"])
    check(r["vapid"]["claims"]["aud"] == base and r["vapid"]["claims"]["sub"] == server.contact,
          "its claims are reported", r["vapid"]["claims"])
    check(r["vapid"]["k"] == b64u(raw_public(server.vapid_key)), "its k is reported", r["vapid"]["k"])
    check(r["decrypt_error"] is None, "it decrypts", r["decrypt_error"])
    check(r["payload"] == message, "its payload is the JSON sent", r["payload"])
    check(r["payload_text"] == json.dumps(message), "its payload_text is the text sent", r["payload_text"])
    check(r["headers"] == {"ttl": "60", "urgency": "normal", "topic": "c1", "content_encoding": "aes128gcm",
                           "content_type": "application/octet-stream"}, "its headers are recorded", r["headers"])
    check(r["ece"]["keyid_length"] == 65 and r["ece"]["records"] == 1 and r["ece"]["rs"] == 4096,
          "its aes128gcm header is reported", r["ece"])

    # 2. Encrypted as web-push-native does: one record, rs exactly the record's length; and the
    # largest plaintext RFC 8291 allows in 4096 octets (3993).
    for size in (1, 3993):
        text = ("x" * size).encode()
        status, _, _ = server.push(subscription, text, rs=len(text) + 17)
        r = last(base)
        check(status == 201 and r["decrypt_error"] is None and r["payload_text"] == text.decode(),
              f"a {size}-octet plaintext with rs = its length + 17 decrypts", (status, r["decrypt_error"]))
    # An empty plaintext so encrypted would have rs 17, which RFC 8188 forbids (rs > 17): refused.
    status, _, _ = server.push(subscription, b"", rs=18, patch_rs=17)
    r = last(base)
    check(status == 400 and "Record size too small" in (r["decrypt_error"] or ""),
          "rs 17 (an empty plaintext sized exactly) is refused", (status, r["decrypt_error"]))

    # 3. Beyond RFC 8291 §4: two records; a body over 4096 octets.
    status, _, _ = server.push(subscription, b"y" * 100, rs=60)
    r = last(base)
    check(status == 400 and "single record" in (r["decrypt_error"] or ""),
          "two records are refused 400 with decrypt_error", (status, r["decrypt_error"]))
    status, _, _ = server.push(subscription, b"z" * 4000)
    r = last(base)
    check(status == 400 and "4096" in (r["decrypt_error"] or ""), "a body over 4096 octets is refused",
          (status, r["decrypt_error"]))

    # 4. VAPID failures: each one is recorded valid: false with the reason, and answered 400.
    stranger = ec.generate_private_key(ec.SECP256R1())
    cases = [
        ("a JWT signed by another key than k", dict(sign_with=stranger), "does not verify"),
        ("k another key than the server's (JWT signed by it)",
         dict(sign_with=stranger, k=b64u(raw_public(stranger))), "not the server's VAPID public key"),
        ("aud without the port (scheme://host)", dict(aud="http://127.0.0.1"), "aud"),
        ("aud another origin", dict(aud="https://push.example.net"), "aud"),
        ("exp in the past", dict(exp_in=-60), "exp"),
        ("exp more than 24 h ahead", dict(exp_in=24 * 3600 + 120), "24 h"),
        ("sub not mailto:/https:", dict(sub="push-test@example.org"), "sub"),
        ("k padded", dict(k=b64u(raw_public(server.vapid_key)) + "="), "base64url"),
        ("no Authorization", dict(headers={"Authorization": ""}), "scheme"),
        ("the WebPush scheme", dict(headers={"Authorization": "WebPush abc.def.ghi"}), "scheme"),
    ]
    for what, kwargs, reason in cases:
        status, _, _ = server.push(subscription, b'{"n":1}', **kwargs)
        r = last(base)
        check(status == 400 and r["vapid"]["valid"] is False and reason in (r["vapid"]["error"] or ""),
              f"VAPID: {what} is invalid ({reason})", (status, r["vapid"]))
        check(r["decrypt_error"] is None and r["payload"] == {"n": 1}, f"VAPID: {what}: still decrypted",
              r["decrypt_error"])
    # A JWT with alg none or HS256 is never taken.
    token = jwt.encode({"aud": base, "exp": int(time.time()) + 60, "sub": server.contact}, "s" * 32,
                       algorithm="HS256")
    status, _, _ = server.push(subscription, b"{}", headers={
        "Authorization": f"vapid t={token}, k={b64u(raw_public(server.vapid_key))}"})
    r = last(base)
    check(status == 400 and not r["vapid"]["valid"] and "ES256" in (r["vapid"]["error"] or ""),
          "VAPID: an HS256 JWT is invalid", r["vapid"])

    # 5. Bodies that do not decrypt: recorded with decrypt_error, answered 400, no crash.
    status, _, _ = server.push(subscription, b'{"secret":true}', tamper=True)
    r = last(base)
    check(status == 400 and r["decrypt_error"] and r["payload"] is None and r["vapid"]["valid"],
          "a tampered body: decrypt_error, no payload", (status, r["decrypt_error"]))
    other = request("POST", f"{base}/_control/subscriptions", {})[2]["subscription"]
    status, _, _ = request("POST", subscription["endpoint"], b"garbage", {"Content-Encoding": "aes128gcm"})
    r = last(base)
    check(status == 400 and r["decrypt_error"], "a body shorter than the header: decrypt_error", r)
    status, _, _ = server.push(subscription, b"{}", content_encoding="aesgcm")
    r = last(base)
    check(status == 400 and "aes128gcm" in (r["decrypt_error"] or ""), "Content-Encoding aesgcm is refused",
          r["decrypt_error"])
    status, _, _ = server.push(subscription, b"{}", content_encoding=None)
    r = last(base)
    check(status == 400 and "Content-Encoding" in (r["decrypt_error"] or ""), "no Content-Encoding is refused",
          r["decrypt_error"])
    # A body encrypted to another subscription's keys, sent to this one.
    body = http_ece.encrypt(b"{}", private_key=ec.generate_private_key(ec.SECP256R1()),
                            dh=unb64u(other["keys"]["p256dh"]), auth_secret=unb64u(other["keys"]["auth"]),
                            version="aes128gcm")
    status, _, _ = request("POST", subscription["endpoint"], body, {"Content-Encoding": "aes128gcm"})
    r = last(base)
    check(status == 400 and r["decrypt_error"], "a body for another subscription: decrypt_error", r["decrypt_error"])
    status, _, body = request("POST", f"{base}/_control/vapid", b"{not json", {"Content-Type": "application/json"})
    check(status == 400, "a control request that is not JSON: 400", (status, body))
    status, _, _ = request("POST", f"{base}/_control/vapid", {"public_key": "AAAA"})
    check(status == 400, "a VAPID key that is no P-256 point: 400", status)

    # 6. Scripted answers: 429 (with Retry-After: 1), then 500, then 201 again.
    status, _, _ = request("POST", f"{base}/_control/subscriptions/{sid}/answers", {"statuses": [429, 500]})
    check(status == 204, "POST answers: 204", status)
    status, headers, _ = server.push(subscription, b"{}")
    check(status == 429 and headers.get("Retry-After") == "1", "the first scripted answer: 429, Retry-After: 1",
          (status, dict(headers)))
    check(last(base)["answered"] == 429, "recorded as answered 429")
    status, _, _ = server.push(subscription, b"{}")
    check(status == 500, "the second scripted answer: 500", status)
    status, _, _ = server.push(subscription, b"{}")
    check(status == 201, "then 201 again", status)
    # An invalid push does not use up a scripted answer.
    request("POST", f"{base}/_control/subscriptions/{sid}/answers", {"statuses": [503]})
    status, _, _ = server.push(subscription, b"{}", tamper=True)
    check(status == 400, "an invalid push while 503 is scripted: 400", status)
    status, _, _ = server.push(subscription, b"{}")
    check(status == 503, "the next valid push gets the scripted 503", status)
    status, _, _ = request("POST", f"{base}/_control/subscriptions/nope/answers", {"statuses": [500]})
    check(status == 404, "answers for an unknown subscription: 404", status)

    # 7. An expired subscription: 410 Gone from then on; still recorded.
    status, _, _ = request("DELETE", f"{base}/_control/subscriptions/{sid}")
    check(status == 204, "DELETE the subscription: 204", status)
    for _ in range(2):
        status, _, _ = server.push(subscription, b'{"late":1}')
        check(status == 410, "a push to a deleted subscription: 410", status)
    r = last(base)
    check(r["answered"] == 410 and r["payload"] == {"late": 1}, "the 410 push is recorded", r)

    # 8. An unknown subscription: 404.
    status, _, _ = server.push(dict(subscription, endpoint=f"{base}/push/unknown"), b"{}")
    check(status == 404, "a push to an unknown subscription: 404", status)
    check(last(base)["answered"] == 404 and last(base)["sid"] == "unknown", "the 404 push is recorded")

    # 9. The record is in arrival order; reset forgets it, subscriptions stay.
    got = received(base)
    check(got[0]["payload"] == message and all(g["at"] <= h["at"] for g, h in zip(got, got[1:])),
          "received is in arrival order")
    status, _, _ = request("POST", f"{base}/_control/reset")
    check(status == 204 and received(base) == [], "reset empties received", status)
    status, _, _ = server.push(other, b'{"after":"reset"}')
    check(status == 201 and last(base)["payload"] == {"after": "reset"}, "subscriptions outlive reset", status)

    # 10. Many pushes at once (the server sends in parallel).
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: server.push(other, json.dumps({"i": i}).encode())[0], range(32)))
    check(statuses == [201] * 32, "32 concurrent pushes: all 201", statuses)
    check(sorted(r["payload"]["i"] for r in received(base)[1:]) == list(range(32)), "and all recorded")

    # 11. Keep-alive connections (one connection, several pushes).
    import http.client
    host, port = base[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    for i in range(3):
        body = http_ece.encrypt(json.dumps({"kept": i}).encode(), private_key=ec.generate_private_key(ec.SECP256R1()),
                                dh=unb64u(other["keys"]["p256dh"]), auth_secret=unb64u(other["keys"]["auth"]),
                                version="aes128gcm")
        token = jwt.encode({"aud": base, "exp": int(time.time()) + 60, "sub": "https://tutorchat.example"},
                           server.vapid_key, algorithm="ES256")
        conn.request("POST", f"/push/{other['endpoint'].rsplit('/', 1)[1]}", body, {
            "Content-Encoding": "aes128gcm", "TTL": "0",
            "Authorization": f"vapid t={token}, k={b64u(raw_public(server.vapid_key))}"})
        response = conn.getresponse()
        response.read()
        check(response.status == 201, f"keep-alive push {i}: 201", response.status)
    conn.close()
    check(last(base)["payload"] == {"kept": 2} and last(base)["vapid"]["valid"], "an https: sub is valid")


def run_with_key_option(python):
    """--vapid-public-key: the key is expected from the start."""
    server, stranger = Sender(), Sender()
    proc = subprocess.Popen(
        [python, os.path.join(HERE, "receiver.py"), "--vapid-public-key", b64u(raw_public(server.vapid_key))],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        base = proc.stdout.readline().strip()[len("listening on "):]
        subscription = request("POST", f"{base}/_control/subscriptions")[2]["subscription"]
        status, _, _ = server.push(subscription, b"{}")
        check(status == 201 and last(base)["vapid"]["valid"], "--vapid-public-key: its key is valid", last(base))
        status, _, _ = stranger.push(subscription, b"{}")
        check(status == 400 and "not the server's" in (last(base)["vapid"]["error"] or ""),
              "--vapid-public-key: another key is invalid", last(base)["vapid"])
    finally:
        proc.kill()  # without --stop-on-stdin-eof it runs until killed
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
