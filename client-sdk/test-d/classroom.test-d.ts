// Type tests of the classroom chat: reactions, pins, polls, seen by, mentions,
// the change feed and the project's chat features (`npm run typecheck`).

import {
  type AckOf,
  type ChangeKind,
  type ChangesPage,
  type ChatFeatures,
  type ErrorCode,
  type MentionPush,
  type Message,
  type MessageChange,
  type Mine,
  type PayloadOf,
  type Poll,
  type PollVoted,
  type PollVoters,
  type ProjectChatFeatures,
  type Pushes,
  type ReactionList,
  type Room,
  type RoomJoined,
  type SeenByList,
  type SeenByMode,
  type SeenCounts,
  type TwinspaceClient,
} from "../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T extends true>(): T | void {}

declare const client: TwinspaceClient;
declare const room: Room;

// ---- the wire: messages carry their rev and their state of each feature

expectType<Equal<Message["rev"], number>>();
expectType<Equal<Message["poll"], Poll | null>>();
expectType<Equal<Message["pinned"], boolean>>();
expectType<Equal<Message["reactions"][number], { emoji: string; count: number }>>();
expectType<Equal<RoomJoined["last_rev"], number>>();
expectType<Equal<RoomJoined["pinned"], Message[]>>();
expectType<Equal<RoomJoined["mine"], Mine>>();
expectType<Equal<RoomJoined["features"], ChatFeatures>>();
expectType<Equal<AckOf<"chat:changes">, ChangesPage>>();
expectType<Equal<PayloadOf<"chat:changes">["after_rev"], number>>();
expectType<Equal<AckOf<"chat:react">, Message>>();
expectType<Equal<AckOf<"chat:reactions">, ReactionList>>();
expectType<Equal<AckOf<"chat:pin">, Message>>();
expectType<Equal<AckOf<"chat:poll_create">, Message>>();
expectType<Equal<AckOf<"chat:poll_vote">, PollVoted>>();
expectType<Equal<AckOf<"chat:poll_close">, Message>>();
expectType<Equal<AckOf<"chat:poll_voters">, PollVoters>>();
expectType<Equal<AckOf<"chat:seen_by">, SeenByList>>();
expectType<Equal<AckOf<"project:chat_features">, ChatFeatures>>();
expectType<Equal<Pushes["chat:reactions_changed"], Message>>();
expectType<Equal<Pushes["chat:pin_changed"], Message>>();
expectType<Equal<Pushes["chat:poll_changed"], Message>>();
expectType<Equal<Pushes["chat:seen"], SeenCounts>>();
expectType<Equal<Pushes["chat:mention"], MentionPush>>();
expectType<Equal<Pushes["project:chat_features"], ProjectChatFeatures>>();
expectType<Equal<SeenByMode, "names_to_staff" | "names_to_members" | "counts_only" | "off">>();

export const send: PayloadOf<"chat:send"> = {
  room_id: "room_1", client_id: "c1", text: "@Léa look", mentions: ["pupil_fr"], mention_teachers: false,
};
// @ts-expect-error: the reaction's field is `on`, not `add`
export const badReact: PayloadOf<"chat:react"> = { room_id: "room_1", message_id: "msg_1", emoji: "👍", add: true };
// @ts-expect-error: choices are option indexes
export const badVote: PayloadOf<"chat:poll_vote"> = { room_id: "room_1", message_id: "msg_1", choices: ["yes"] };
export const pollFull: ErrorCode = "chat.poll_closed";
export const notOffered: ErrorCode = "chat.reaction_not_offered";

// ---- the room's methods and state

expectType<Equal<Awaited<ReturnType<Room["react"]>>, Message>>();
expectType<Equal<Awaited<ReturnType<Room["unreact"]>>, Message>>();
expectType<Equal<Awaited<ReturnType<Room["reactions"]>>, ReactionList>>();
expectType<Equal<Awaited<ReturnType<Room["pin"]>>, Message>>();
expectType<Equal<Awaited<ReturnType<Room["unpin"]>>, Message>>();
expectType<Equal<Awaited<ReturnType<Room["createPoll"]>>, Message>>();
expectType<Equal<Awaited<ReturnType<Room["vote"]>>, PollVoted>>();
expectType<Equal<Awaited<ReturnType<Room["closePoll"]>>, Message>>();
expectType<Equal<Awaited<ReturnType<Room["pollVoters"]>>, PollVoters>>();
expectType<Equal<Awaited<ReturnType<Room["seenBy"]>>, SeenByList>>();
expectType<Equal<Room["pinned"], readonly Message[]>>();
expectType<Equal<ReturnType<Room["seenCount"]>, number | undefined>>();
expectType<Equal<ReturnType<Room["myReactions"]>, readonly string[]>>();
expectType<Equal<ReturnType<Room["myVote"]>, readonly number[]>>();
expectType<Equal<Room["mentionCount"], number>>();
expectType<Equal<Room["lastRev"], number>>();
expectType<Equal<Room["features"], ChatFeatures>>();
expectType<Equal<ReturnType<Room["message"]>, Message | undefined>>();

room.send("@teachers help", { mentions: ["pupil_de"], mentionTeachers: true });
room.createPoll({ question: "Which day?", options: ["Monday", "Friday"], multiple: false, anonymous: true,
  closesAt: new Date() });
room.createPoll({ question: "Which day?", options: ["Monday", "Friday"], closesAt: "2026-12-02T15:00:00+01:00" });
// @ts-expect-error: options are texts
room.createPoll({ question: "Which day?", options: [1, 2] });
// @ts-expect-error: the question is required
room.createPoll({ options: ["a", "b"] });
room.vote("msg_1", [0, 2]);
// @ts-expect-error: a vote is a list of indexes
room.vote("msg_1", 0);

room.on("messageChanged", (change) => {
  expectType<Equal<typeof change, MessageChange>>();
  expectType<Equal<typeof change.kind, ChangeKind>>();
  expectType<Equal<typeof change.previous, Message | undefined>>();
});
room.on("pinned", (pins) => expectType<Equal<typeof pins, Message[]>>());
room.on("seen", (counts) => expectType<Equal<typeof counts, SeenCounts>>());
room.on("mentions", (count) => expectType<Equal<typeof count, number>>());
room.on("features", (features) => expectType<Equal<typeof features, ChatFeatures>>());
room.on("mine", (mine) => expectType<Equal<typeof mine, { message_id: string }>>());
export const kind: ChangeKind = "reactions";
// @ts-expect-error: the kinds are a closed union
export const badKind: ChangeKind = "reacted";

// ---- the client

expectType<Equal<Awaited<ReturnType<TwinspaceClient["chatFeatures"]>>, ChatFeatures>>();
expectType<Equal<Awaited<ReturnType<TwinspaceClient["setChatFeatures"]>>, ChatFeatures>>();
client.setChatFeatures("project_1", { reactions: ["👍", "🎉"], seen_by: "counts_only" });
// @ts-expect-error: seen_by is a closed union
client.setChatFeatures("project_1", { seen_by: "everyone" });
client.on("mention", (push) => expectType<Equal<typeof push, MentionPush>>());
client.on("chatFeatures", (features) => expectType<Equal<typeof features, ProjectChatFeatures>>());
