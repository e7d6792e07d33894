"""The mail server of the email tests: aiosmtpd on 127.0.0.1, a real SMTP server run by the test.

With `--tls starttls` it requires STARTTLS, with `--tls wrapper` it speaks TLS from the first
byte (`smtps://`); its certificate, for 127.0.0.1, is issued by a certificate authority of its
own (trustme), whose PEM it writes to a file and names first: `ca PATH`.

It prints `listening on PORT`, then one JSON line per message delivered to it, read back with
Python's own email parser (independent of lettre, which wrote it): the envelope, the decoded
From, To and Subject, the List-Unsubscribe headers and the text body. It stops when its
standard input closes (the test ended, however it ended).
"""

import argparse
import asyncio
import json
import os
import socket
import ssl
import sys
import tempfile
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Printer:
    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        print(
            json.dumps(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "from": str(message["from"]),
                    "to": str(message["to"]),
                    "subject": str(message["subject"]),
                    "list_unsubscribe": str(message.get("list-unsubscribe", "")),
                    "list_unsubscribe_post": str(message.get("list-unsubscribe-post", "")),
                    "text": body.get_content() if body is not None else "",
                },
                ensure_ascii=False,
            ),
            flush=True,
        )
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_context(directory):
    """The server's TLS context, and the file holding the PEM of the CA that issued its certificate."""
    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    path = os.path.join(directory, "ca.pem")
    ca.cert_pem.write_to_path(path)
    return context, path


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tls", choices=["starttls", "wrapper"])
    tls = parser.parse_args().tls
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        options = {}
        if tls:
            context, ca = tls_context(directory)
            if tls == "starttls":
                options = {"tls_context": context, "require_starttls": True}
            else:
                options = {"ssl_context": context}
            print(f"ca {ca}", flush=True)
        controller = Controller(Printer(), hostname="127.0.0.1", port=port, **options)
        controller.start()
        print(f"listening on {port}", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the test closes it
        controller.stop()


asyncio.run(main())
