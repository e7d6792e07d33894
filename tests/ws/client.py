#!/usr/bin/env python3
"""A WebSocket client for the tests of the dialects' sockets (`/api/v1/ws`, the unet-chat
dialect's `/api/unet-chat/ws/conversations/{id}/`), driven over its stdin and stdout.

It uses Python's `websockets`, a client written independently of the server, so the tests
see the protocol as a real client does. Each line on stdin is sent as one text frame; each
thing that happens is printed as one line of JSON:

  {"event": "open", "url": ...}                      connected (again, after a reconnect)
  {"event": "refused", "status": 401, "body": ...}   the handshake was answered without 101
  {"event": "frame", "data": <the frame's JSON, or its text>}
  {"event": "closed", "code": ..., "reason": ...}    the connection ended

With --reconnect it connects again after a close, to the next of its URLs in turn (a load
balancer's choice), until stdin ends. Without it, it exits after the first close.
"""

import argparse
import asyncio
import json
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus


def say(**event):
    print(json.dumps(event, ensure_ascii=False), flush=True)


async def lines(queue):
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        await queue.put(line.rstrip("\n") if line else None)
        if not line:
            return


async def session(url, headers, queue):
    """One connection: True if it should be made again."""
    try:
        socket = await connect(url, additional_headers=headers, open_timeout=5, ping_interval=None)
    except InvalidStatus as e:
        say(event="refused", status=e.response.status_code, body=e.response.body.decode("utf-8", "replace"))
        return True
    except OSError as e:
        say(event="unreachable", error=str(e))
        return True
    say(event="open", url=url)

    async def receive():
        async for message in socket:
            try:
                data = json.loads(message)
            except ValueError:
                data = message
            say(event="frame", data=data)

    receiving = asyncio.ensure_future(receive())
    try:
        while True:
            getting = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getting, receiving}, return_when=asyncio.FIRST_COMPLETED)
            if getting not in done:
                getting.cancel()
                break
            line = getting.result()
            if line is None:
                await socket.close()
                return False
            try:
                await socket.send(line)
            except ConnectionClosed:
                break
    finally:
        try:
            await receiving
        except ConnectionClosed:
            pass
    say(event="closed", code=socket.close_code, reason=socket.close_reason)
    return True


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", action="append", required=True)
    parser.add_argument("--header", action="append", default=[], help="Name: value")
    parser.add_argument("--reconnect", action="store_true")
    args = parser.parse_args()
    headers = [tuple(part.strip() for part in h.split(":", 1)) for h in args.header]
    queue = asyncio.Queue()
    reading = asyncio.ensure_future(lines(queue))
    turn = 0
    while True:
        again = await session(args.url[turn % len(args.url)], headers, queue)
        if not (again and args.reconnect) or reading.done() and queue.empty():
            break
        turn += 1
        await asyncio.sleep(0.2)
    reading.cancel()


if __name__ == "__main__":
    asyncio.run(main())
