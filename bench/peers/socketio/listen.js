// One member's socket, to check that the peer delivers: S10 keeps one connected to an instance
// while wrk posts to both, so half of what it should get comes from the other instance through
// the PostgreSQL adapter.
//
//   node listen.js URL TOKEN
//
// Prints `joined` once the server has put it in its chats' rooms; then reads a count from its
// standard input (the messages of its chats that landed) and exits once it has received that
// many, or after 10 s, printing `received <n>`.

import { createInterface } from "node:readline";

import { io } from "socket.io-client";

const [url, token] = process.argv.slice(2);
const socket = io(url, { auth: { token }, transports: ["websocket"] });
let received = 0;
let expected = Infinity;

function finish() {
  console.log(`received ${received}`);
  socket.close();
  process.exit(0);
}

socket.on("joined", () => console.log("joined"));
socket.on("connect_error", (err) => {
  console.error(`listen: ${err.message}`);
  process.exit(1);
});
socket.on("message", () => {
  received += 1;
  if (received >= expected) finish();
});
createInterface({ input: process.stdin }).once("line", (line) => {
  expected = Number(line);
  if (received >= expected) finish();
  setTimeout(finish, 10_000);
});
