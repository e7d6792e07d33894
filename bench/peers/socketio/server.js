// The chat's write path as a Node team would ordinarily build it: socket.io for live delivery,
// its PostgreSQL adapter so that an emit on one instance reaches the sockets of every other
// (LISTEN/NOTIFY on the same database), node-postgres for the rows. The benchmark's S10 runs two
// of these against tutorchat's two replicas, on the same PostgreSQL (see ../../README.md).
//
// POST /api/messages, `Authorization: Bearer <JWT HS256, sub = user id>`, `{"chat_id","content"}`:
// the sender must be one of the chat's two members (`peer_chats`); the message is inserted into
// `peer_messages`, emitted to the room `chat:<id>`, and answered 201 with its row.
//
// Configuration: PORT (0: any free port, printed), JWT_SECRET, PG_POOL_SIZE (32, as the
// benchmark gives tutorchat's replicas), and node-postgres's usual PGHOST, PGPORT, PGUSER,
// PGPASSWORD, PGDATABASE.

import { createServer } from "node:http";

import { createAdapter } from "@socket.io/postgres-adapter";
import jwt from "jsonwebtoken";
import pg from "pg";
import { Server } from "socket.io";

const secret = process.env.JWT_SECRET;
if (!secret) {
  console.error("JWT_SECRET is not set");
  process.exit(1);
}
const pool = new pg.Pool({ max: Number(process.env.PG_POOL_SIZE ?? 32) });
pool.on("error", (err) => console.error("Postgres error", err));

/** The user a bearer token names, or null when it is missing, forged or expired. */
function userOf(token) {
  try {
    const claims = jwt.verify(token ?? "", secret, { algorithms: ["HS256"] });
    const id = Number(claims.sub);
    return Number.isSafeInteger(id) ? id : null;
  } catch {
    return null;
  }
}

function answer(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
  res.end(json);
}

async function readJson(req) {
  let text = "";
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 65536) return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// Membership is checked by the INSERT itself: one query per message, no cache (a cache would
// have to be invalidated when a chat's members change; the ordinary app asks the database).
const insert = `
  INSERT INTO peer_messages (chat_id, sender_id, content)
  SELECT id, $2, $3 FROM peer_chats WHERE id = $1 AND $2 IN (student_id, teacher_id)
  RETURNING id, chat_id, sender_id, content, created_at`;

async function postMessage(req, res) {
  const sender = userOf(req.headers.authorization?.replace(/^Bearer /, ""));
  if (sender === null) return answer(res, 401, { error: "unauthorized" });
  const body = await readJson(req);
  const chat = Number(body?.chat_id);
  if (!Number.isSafeInteger(chat) || typeof body.content !== "string" || body.content.length === 0) {
    return answer(res, 400, { error: "chat_id and content are required" });
  }
  const { rows } = await pool.query(insert, [chat, sender, body.content]);
  if (rows.length === 0) return answer(res, 403, { error: "not a member of this chat" });
  io.to(`chat:${chat}`).emit("message", rows[0]);
  answer(res, 201, rows[0]);
}

const http = createServer((req, res) => {
  if (req.method === "POST" && req.url === "/api/messages") {
    postMessage(req, res).catch((err) => {
      console.error(err);
      answer(res, 500, { error: "internal error" });
    });
  } else {
    answer(res, 404, { error: "not found" });
  }
});

const io = new Server(http);
io.adapter(createAdapter(pool));

// A socket authenticates in its handshake (`auth: { token }`) and joins the rooms of its chats;
// `joined` tells it that it now gets their messages.
io.use((socket, next) => {
  const user = userOf(socket.handshake.auth?.token);
  if (user === null) return next(new Error("unauthorized"));
  socket.data.user = user;
  next();
});
io.on("connection", async (socket) => {
  try {
    const { rows } = await pool.query("SELECT id FROM peer_chats WHERE $1 IN (student_id, teacher_id)", [
      socket.data.user,
    ]);
    socket.join(rows.map((r) => `chat:${r.id}`));
    socket.emit("joined", rows.length);
  } catch (err) {
    console.error(err);
    socket.disconnect(true);
  }
});

http.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${http.address().port}`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    io.close();
    pool.end().finally(() => process.exit(0));
  });
}
