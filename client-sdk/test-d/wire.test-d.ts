// Type tests: what the event maps, the SDK's methods and the error guard
// accept and give, checked by `tsc` (`npm run typecheck`). A line after
// `// @ts-expect-error` must not compile; an `expectType<Equal<A, B>>()`
// compiles only when A and B are the same type.

import {
  Limits,
  isTwinspaceError,
  type AckOf,
  type ChatSendPayload,
  type ErrorCode,
  type MailCopy,
  type Message,
  type PayloadOf,
  type Post,
  type Pushes,
  type Requests,
  type Room,
  type RoomJoined,
  type Thread,
  type TwinspaceClient,
  type TypingPush,
  type Unread,
  type User,
} from "../src/index.js";
import type { Transport } from "../src/transport.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T extends true>(): T | void {}

// ---- the request map: each event's payload and ack data

expectType<Equal<AckOf<"chat:send">, Message>>();
expectType<Equal<PayloadOf<"chat:send">, ChatSendPayload>>();
expectType<Equal<Requests["room:join"]["ack"], RoomJoined>>();
expectType<Equal<AckOf<"me:get">, User>>();
expectType<Equal<AckOf<"chat:read">, Unread>>();
expectType<Equal<AckOf<"forum:thread_create">, Thread>>();
expectType<Equal<AckOf<"mail:send">, MailCopy>>();
expectType<Equal<AckOf<"mail:unread_count">, { unread: number }>>();
expectType<Equal<AckOf<"space:list">, Requests["space:get"]["ack"][]>>();

// @ts-expect-error: no such event
export type Nope = AckOf<"chat:shout">;

export const send: PayloadOf<"chat:send"> = { room_id: "room_1", client_id: "c1", text: "Bonjour", reply_to: null };
// @ts-expect-error: client_id is required
export const noClientId: PayloadOf<"chat:send"> = { room_id: "room_1", text: "Bonjour" };
// @ts-expect-error: the server forbids unknown fields, and so do the types
export const unknownField: PayloadOf<"chat:send"> = { room_id: "room_1", client_id: "c1", text: "Hi", colour: "red" };
// @ts-expect-error: seq is a number
export const badSeq: PayloadOf<"chat:read"> = { room_id: "room_1", seq: "5" };
// @ts-expect-error: folders are a closed union
export const badFolder: PayloadOf<"mail:move"> = { mail_id: "mail_1", folder: "trash" };
// @ts-expect-error: events without fields take an empty object
export const notEmpty: PayloadOf<"me:get"> = { id: "me" };

declare const transport: Transport;
export const acked: Promise<Message> = transport.request("chat:send", send);
expectType<Equal<Awaited<ReturnType<typeof transport.request<"chat:history">>>, Requests["chat:history"]["ack"]>>();
// @ts-expect-error: a payload of another event
transport.request("chat:send", { room_id: "room_1", seq: 3 });
// @ts-expect-error: the ack of chat:send is a Message, not a Thread
export const wrongAck: Promise<Thread> = transport.request("chat:send", send);

// ---- the push map

expectType<Equal<Pushes["chat:message"], Message>>();
expectType<Equal<Pushes["chat:typing"], TypingPush>>();
expectType<Equal<Pushes["forum:post_created"], Post>>();
// @ts-expect-error: no such push
export type NoPush = Pushes["chat:shouted"];

// ---- what the SDK's methods and events give

declare const client: TwinspaceClient;
declare const room: Room;
expectType<Equal<Awaited<ReturnType<Room["send"]>>, Message>>();
expectType<Equal<Awaited<ReturnType<TwinspaceClient["joinRoom"]>>, Room>>();
room.on("message", (message) => expectType<Equal<typeof message, Message>>());
room.on("typing", (push) => expectType<Equal<typeof push, TypingPush>>());
client.forum.on("postCreated", (post) => expectType<Equal<typeof post, Post>>());
client.mail.on("received", (copy) => expectType<Equal<typeof copy, MailCopy>>());
// @ts-expect-error: rooms emit no such event
room.on("shouted", () => {});

// ---- error codes

export const code: ErrorCode = "room.not_found";
// @ts-expect-error: not a code the server sends
export const notACode: ErrorCode = "room.gone";
declare const caught: unknown;
if (isTwinspaceError(caught, "room.not_found") || isTwinspaceError(caught, "auth.")
  || isTwinspaceError(caught, "client.timeout") || isTwinspaceError(caught, "client.")) {
  expectType<Equal<typeof caught.status, number | undefined>>();
}
// @ts-expect-error: a misspelt code
isTwinspaceError(caught, "room.not_fuond");
// @ts-expect-error: a family the protocol does not have
isTwinspaceError(caught, "weather.");

// ---- limits

expectType<Equal<typeof Limits.CHAT_TEXT_MAX_CHARS extends number ? true : false, true>>();
// @ts-expect-error: limits are read-only
Limits.CHAT_TEXT_MAX_CHARS = 1;
