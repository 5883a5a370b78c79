// The Node ceiling: the official socket.io 4.8 server, no persistence, no checks, compression off.
//
//   node bench/node_server.mjs PORT
//
// The same shape as bench/bare_server.py (python-socketio): it accepts any `auth`, answers
// `room:join` by joining the room, and `chat:send` by acknowledging a Message with the room's next
// `seq`, then pushing it to the room as `chat:message`. The Message has Twinspace's fields and their
// lengths (the author's id is the token, the name `auth.name`), so that every server's push costs the
// load generator the same to read. So the same load generator drives
// Twinspace, the bare Python stack and this one, and bench/run.py reports each as a ratio to this.
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { Server } from "socket.io";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node bench/node_server.mjs PORT");
  process.exit(2);
}

const http = createServer();
const io = new Server(http, {
  cors: { origin: "*" },
  perMessageDeflate: false, // as Twinspace's default and bare_server.py's
  httpCompression: false,
  pingInterval: 20000, // as Twinspace (server/app.py)
  pingTimeout: 20000,
});
const counters = new Map(); // room id -> last seq
const channel = (roomId) => `room:${roomId}`;
const PROJECT = `prj_${"0".repeat(20)}`; // as long as a Twinspace project's id

io.on("connection", (socket) => {
  const token = socket.handshake.auth?.token;
  const user = token ? String(token) : socket.id;
  const name = String(socket.handshake.auth?.name ?? user);

  socket.on("room:join", (data, ack) => {
    const roomId = data.room_id;
    socket.join(channel(roomId));
    ack?.({ ok: true, data: { room: { id: roomId, kind: "chat" }, online: [], unread: 0, last_read_seq: 0,
                              last_seq: 0, messages: [], has_more: false } });
  });

  socket.on("chat:send", (data, ack) => {
    const roomId = data.room_id;
    const seq = (counters.get(roomId) ?? 0) + 1;
    counters.set(roomId, seq);
    // Twinspace's Message, field for field and of its length (a plain message: docs/performance.md).
    const message = { id: `msg_${randomUUID().replaceAll("-", "").slice(0, 20)}`, room_id: roomId, project_id: PROJECT,
                      seq, client_id: data.client_id, author_id: user, author_name: name, author_role: "pupil",
                      text: data.text, reply_to: null, attachments: [], created_at: new Date().toISOString(),
                      edited_at: null, deleted: false, deleted_by: null, hidden: false, hidden_by: null, rev: seq,
                      reactions: [], pinned: false, pinned_by: null, pinned_at: null, poll: null, mentions: [],
                      mentions_teachers: false };
    ack?.({ ok: true, data: message }); // ack first, then the push, as the other two servers
    io.to(channel(roomId)).emit("chat:message", message);
  });
});

http.listen(port, "127.0.0.1");
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => { io.close(); http.close(() => process.exit(0)); });
}
