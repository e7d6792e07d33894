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
import os
import sys
import threading
from http.server import ThreadingHTTPServer

from checks import b64url_decode, p256_public_key
from service import State, make_handler


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
