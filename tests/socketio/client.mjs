#!/usr/bin/env node
// The official socket.io client (socket.io-client 4) for the tests of /socket.io/, driven over
// its stdin and stdout. Each stdin line is `{"emit": "<event>", "data": <JSON>}`; each thing
// that happens is printed as one line of JSON:
//
//   {"event": "connect", "url": ..., "transport": "polling" | "websocket"}
//   {"event": "upgrade", "transport": "websocket"}      the engine moved off long-polling
//   {"event": "connect_error", "data": {"message": ...}}
//   {"event": "disconnect", "reason": ...}
//   {"event": "frame", "name": "<event>", "data": <its JSON>}
//
// Options: --url URL (again for more: socket.io's own reconnection goes to the next in turn, a
// load balancer's choice), --websocket-only or --polling-only, --token JWT (sent as
// `auth: {token, id}`), --auth JSON (the auth object as given), --no-reconnect (exit after the first disconnect or refusal).
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const args = process.argv.slice(2);
const urls = [];
let auth, transports = ["polling", "websocket"], reconnect = true;
for (let i = 0; i < args.length; i++) {
  switch (args[i]) {
    case "--url": urls.push(args[++i]); break;
    case "--websocket-only": transports = ["websocket"]; break;
    case "--polling-only": transports = ["polling"]; break;
    case "--token": {
      const token = args[++i];
      const payload = token.split(".")[1] ?? "";
      let id;
      try { id = JSON.parse(Buffer.from(payload, "base64url").toString()).sub; } catch { id = undefined; }
      auth = { token, id };
      break;
    }
    case "--auth": auth = JSON.parse(args[++i]); break;
    case "--no-reconnect": reconnect = false; break;
    default: console.error(`unknown argument ${args[i]}`); process.exit(2);
  }
}

const say = (event) => process.stdout.write(JSON.stringify(event) + "\n");

let next = 0;
const socket = io(urls[0], {
  auth,
  transports,
  upgrade: transports.length > 1,
  reconnection: reconnect,
  reconnectionDelay: 200,
  reconnectionDelayMax: 1000,
  timeout: 5000,
});
const manager = socket.io;
manager.on("reconnect_attempt", () => {
  next = (next + 1) % urls.length;
  manager.uri = urls[next];
});
manager.on("open", () => {
  manager.engine.on("upgrade", (transport) => say({ event: "upgrade", transport: transport.name }));
});
socket.on("connect", () => say({ event: "connect", url: manager.uri, transport: manager.engine.transport.name }));
socket.on("connect_error", (error) => {
  say({ event: "connect_error", data: error.data ?? { message: error.message } });
  if (!socket.active) process.exit(0);
});
socket.on("disconnect", (reason) => {
  say({ event: "disconnect", reason });
  if (!reconnect) process.exit(0);
});
socket.onAny((name, data) => say({ event: "frame", name, data }));

createInterface({ input: process.stdin }).on("line", (line) => {
  const { emit, data } = JSON.parse(line);
  socket.emit(emit, data);
}).on("close", () => process.exit(0));
