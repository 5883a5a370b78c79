// Type tests: what the event maps, the SDK's methods and the error guard
// accept and give, checked by `tsc` (`npm run typecheck`). A line after
// `// @ts-expect-error` must not compile; an `expectType<Equal<A, B>>()`
// compiles only when A and B are the same type.

import {
  Limits,
  isTwinspaceError,
  type AckOf,
  type AuditEntry,
  type AuditPage,
  type ErasureDone,
  type ErasureRequest,
  type ErasureSummary,
  type ExportStream,
  type MemberErased,
  type Project,
  type Retention,
  type SavedExport,
  type Mail,
  type MailRemoved,
  type MuteState,
  type MyReport,
  type ReportKind,
  type ReportReason,
  type ReportState,
  type ReportView,
  type Resolution,
  type ProjectSafeguarding,
  type Safeguarding,
  type Snapshot,
  type Space,
  type SupervisedMailPage,
  type WriteState,
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
  type TwinspaceError,
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

// ---- safeguarding: reports, moderation, the audit log

declare const moderation: TwinspaceClient["moderation"];
expectType<Equal<Awaited<ReturnType<typeof moderation.report>>, MyReport>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.getReport>>, ReportView>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.decideReport>>, ReportView>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.reports>>["reports"], ReportView[]>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.escalatedReports>>["reports"], ReportView[]>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.myReports>>["reports"], MyReport[]>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.mute>>, MuteState>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.unmute>>, MuteState>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.configureRoom>>, Space>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.safeguarding>>, Safeguarding>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.setSafeguarding>>, Safeguarding>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.hideMessage>>, Message>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.hidePost>>, Post>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.supervisedMail>>, SupervisedMailPage>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.conversation>>["mails"], Mail[]>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.removeMail>>, Mail>>();
expectType<Equal<Awaited<ReturnType<typeof moderation.auditLog>>, AuditPage>>();
expectType<Equal<AuditPage["entries"], AuditEntry[]>>();
expectType<Equal<Awaited<ReturnType<Room["hide"]>>, Message>>();
expectType<Equal<Room["writeState"], WriteState>>();
expectType<Equal<RoomJoined["write_state"], WriteState>>();
expectType<Equal<ReportReason, "bullying" | "inappropriate" | "personal_data" | "spam" | "other">>();
expectType<Equal<ReportKind, "message" | "thread" | "post" | "mail" | "file">>();
expectType<Equal<ReportState, "open" | "resolved" | "dismissed">>();
expectType<Equal<ReportView["item"], Snapshot>>();
expectType<Equal<NonNullable<ReportView["resolution"]>, Resolution>>();

moderation.report({ kind: "message", id: "msg_1", roomId: "room_1" }, "bullying", { note: "again", serious: true });
moderation.report({ kind: "post", id: "post_1" }, "spam");
// @ts-expect-error: a message is reported with its room
moderation.report({ kind: "message", id: "msg_1" }, "bullying");
// @ts-expect-error: reasons are a closed list
moderation.report({ kind: "post", id: "post_1" }, "rude");
// @ts-expect-error: a file is not a kind of its own name
moderation.report({ kind: "photo", id: "file_1" }, "other");
moderation.decideReport("report_1", { state: "dismissed", note: "A joke between friends." });
// @ts-expect-error: a decision closes a report: resolved or dismissed
moderation.decideReport("report_1", { state: "open" });
moderation.reports("project_1", { state: "open", cursor: null, limit: 30 });
moderation.mute("project_1", "pupil_1", 10, { roomId: "room_1" });
// @ts-expect-error: minutes are a number
moderation.mute("project_1", "pupil_1", "10");
moderation.configureRoom("room_1", { readOnly: true, slowModeSecs: 30 });
moderation.setSafeguarding("project_1", {
  chatHours: { timezone: "Europe/Paris", days: [1, 2, 3, 4, 5], start: "08:00", end: "17:00" },
  wordFilter: "block", customWords: ["idiot"], mailPolicy: "teachers_only",
});
// @ts-expect-error: the word filter's modes are a closed union
moderation.setSafeguarding("project_1", { wordFilter: "strict" });
moderation.auditLog("project_1", { actorId: "teacher_fr", action: "member.mute", limit: 50 });

moderation.on("reportCreated", (report) => expectType<Equal<typeof report, ReportView>>());
moderation.on("reportUpdated", (report) => expectType<Equal<typeof report, ReportView>>());
moderation.on("reportHandled", (mine) => expectType<Equal<typeof mine, MyReport>>());
moderation.on("reportEscalated", (report) => expectType<Equal<typeof report, ReportView>>());
moderation.on("muted", (state) => expectType<Equal<typeof state, MuteState>>());
moderation.on("safeguarding", (settings) => expectType<Equal<typeof settings, ProjectSafeguarding>>());
room.on("hidden", (message) => expectType<Equal<typeof message, Message>>());
room.on("updated", (space) => expectType<Equal<typeof space, Space>>());
room.on("writeState", (state) => expectType<Equal<typeof state, WriteState>>());
client.forum.on("postHidden", (post) => expectType<Equal<typeof post, Post>>());
client.mail.on("removed", (removed) => expectType<Equal<typeof removed, MailRemoved>>());
// @ts-expect-error: no such moderation event
moderation.on("reportDeleted", () => {});

expectType<Equal<Pushes["report:created"], ReportView>>();
expectType<Equal<Pushes["moderation:muted"], MuteState>>();
expectType<Equal<Pushes["chat:message_hidden"], Message>>();
expectType<Equal<AckOf<"moderation:mute">, MuteState>>();
expectType<Equal<AckOf<"report:create">, MyReport>>();

export const muted: ErrorCode = "chat.muted";
declare const refused: unknown;
if (isTwinspaceError(refused, "chat.muted") || isTwinspaceError(refused, "report.duplicate")
  || isTwinspaceError(refused, "content.blocked") || isTwinspaceError(refused, "report.")) {
  expectType<Equal<typeof refused.details, Record<string, unknown>>>();
}

// ---- privacy: export, erasure, retention, holds

declare const privacy: TwinspaceClient["privacy"];
expectType<Equal<Awaited<ReturnType<typeof privacy.exportMember>>, Blob>>();
expectType<Equal<Awaited<ReturnType<typeof privacy.exportMine>>, Blob>>();
expectType<Equal<Awaited<ReturnType<typeof privacy.exportStream>>, ExportStream>>();
expectType<Equal<ExportStream["stream"], ReadableStream<Uint8Array>>>();
expectType<Equal<Awaited<ReturnType<typeof privacy.downloadExport>>, SavedExport>>();
expectType<Equal<Awaited<ReturnType<typeof privacy.requestErasure>>, ErasureRequest>>();
expectType<Equal<Awaited<ReturnType<typeof privacy.confirmErasure>>, ErasureDone>>();
expectType<Equal<Awaited<ReturnType<typeof privacy.retention>>, Retention>>();
expectType<Equal<Awaited<ReturnType<typeof privacy.setRetention>>, Project>>();
expectType<Equal<Awaited<ReturnType<typeof privacy.holdProject>>, Project>>();
expectType<Equal<ErasureRequest["confirmation"], string>>();
expectType<Equal<ErasureRequest["expires_at"], string>>();
expectType<Equal<ErasureRequest["summary"], ErasureSummary>>();
expectType<Equal<ErasureDone["summary"], ErasureSummary>>();
expectType<Equal<ErasureSummary["messages"], number>>();
expectType<Equal<Retention["chat_retention_days"], number | null>>();
expectType<Equal<Retention["file_retention_days"], number | null>>();
expectType<Equal<Retention["held"], boolean>>();
expectType<Equal<Project["forum_retention_days"], number | null>>();
expectType<Equal<Project["mail_retention_days"], number | null>>();
expectType<Equal<MemberErased["user_id"], string>>();
expectType<Equal<MemberErased["project_id"], string>>();
expectType<Equal<Pushes["member:erased"], MemberErased>>();
expectType<Equal<AckOf<"member:erase_request">, ErasureRequest>>();
expectType<Equal<AckOf<"member:erase_confirm">, ErasureDone>>();
expectType<Equal<AckOf<"project:hold">, Project>>();

privacy.exportMember("project_1", "pupil_1", { signal: new AbortController().signal });
privacy.downloadExport("project_1");
privacy.downloadExport("project_1", "pupil_1", { filename: "lea.zip" });
privacy.confirmErasure("project_1", "pupil_1", "ERASE-1234");
// @ts-expect-error: the confirmation is given back
privacy.confirmErasure("project_1", "pupil_1");
privacy.setRetention("project_1", { chatDays: 90, forumDays: null, mailDays: null, fileDays: 365 });
privacy.setRetention("project_1", { chatDays: 30 });
// @ts-expect-error: periods are days, or null
privacy.setRetention("project_1", { chatDays: "90" });
// @ts-expect-error: the wire's names are not the options'
privacy.setRetention("project_1", { chat_retention_days: 90 });
privacy.holdProject("project_1", true, "A parent's complaint is open.");
privacy.holdProject("project_1", false);
// @ts-expect-error: held is a boolean
privacy.holdProject("project_1", "yes");
privacy.on("erased", (erased) => expectType<Equal<typeof erased, MemberErased>>());
// @ts-expect-error: no such privacy event
privacy.on("exported", () => {});
export const expired: ErrorCode = "erasure.expired";
declare const erasureRefused: unknown;
if (isTwinspaceError(erasureRefused, "erasure.not_confirmed") || isTwinspaceError(erasureRefused, "erasure.")) {
  expectType<Equal<typeof erasureRefused.code, TwinspaceError["code"]>>();
}
