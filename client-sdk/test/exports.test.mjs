// The package's public surface, pinned: adding, removing or renaming an
// export must change these lists too, so that it is a conscious change.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

import { BROWSER_FILE } from "../scripts/build.mjs";

const require = createRequire(import.meta.url);

/** What the builds export at run time. */
const VALUES = [
  "AuthError", "ClientCodes", "ConflictError", "ConnectionError", "ForbiddenError", "Forum", "Limits", "MailBox",
  "Moderation", "NotFoundError", "Privacy", "RateLimitedError", "Room", "ServerError", "TimeoutError", "TwinspaceClient", "TwinspaceError",
  "ValidationError", "createClient", "isTwinspaceError",
];

/** What the type declarations export besides those. */
const TYPES = [
  // safeguarding
  "AuditEntry", "AuditFilters", "AuditPage", "ChatHours", "CursorOptions", "Decision", "MailConversation", "MailPolicy",
  "MailRemoved", "ModerationEvents", "Mute", "MuteOptions", "MuteState", "MyReport", "MyReportPage",
  "ReportDecisionState", "ReportKind", "ReportListOptions", "ReportOptions", "ReportPage", "ReportReason", "ReportState",
  "ProjectSafeguarding", "ReportTarget", "ReportView", "Resolution", "RoomRules", "Safeguarding", "SafeguardingChanges", "Snapshot",
  "SupervisedMailPage", "WordFilterMode", "WriteReason", "WriteState",
  // privacy
  "DownloadExportOptions", "ErasureDone", "ErasureRequest", "ErasureSummary", "ExportOptions", "ExportStream",
  "MemberErased", "PrivacyEvents", "Retention", "RetentionChanges", "SavedExport",
  // classroom chat
  "ChangeKind", "ChangesPage", "ChatFeatures", "Mentioned", "MentionPush", "MessageChange", "Mine", "NewPoll", "Person",
  "Poll", "PollOption", "PollOptionVoters", "PollVoted", "PollVoters", "ProjectChatFeatures", "ReactionCount",
  "ReactionList", "ReactionPeople", "SeenByList", "SeenByMode", "SeenCount", "SeenCounts",
  // search
  "SearchIn", "SearchKind", "SearchOptions", "SearchOrder", "SearchPage", "SearchPager", "SearchResult",
  // the rest
  "AckOf", "Attachment", "CauseOptions", "ChatSendPayload", "ClientCode", "ClientEvents", "ClientOptions", "ClientState",
  "CodeFamily", "Correspondent", "ErrorCode", "FileRecord", "FileRef", "ForumEvents", "GetToken", "History",
  "HistoryOptions", "JoinOptions", "KnownCode", "Listener", "Mail", "MailCopy", "MailDeleted", "MailEvents",
  "MailFolder", "MailListOptions", "MailPage", "MailSendPayload", "MailUnread", "Member", "MemberRole", "MemberView",
  "Message", "NewMail", "NewPost", "NewThread", "PageOptions", "PayloadOf", "PlatformRole", "Post", "PostPage",
  "PresenceUpdate", "PresenceView", "Project", "ProjectStatus", "ProjectWithRole", "PushEvent", "Pushes",
  "RequestEvent", "Requests", "RoomEvents", "RoomJoined", "RoomLeft", "RoomState", "SendOptions", "Space", "Thread",
  "ThreadPage", "ThreadSummary", "TransportName", "TwinspaceErrorOptions", "TypingAck", "TypingPush", "Unread", "UploadData", "UploadOptions",
  "UploadProgress", "User", "Visibility",
];

const sorted = (names) => [...names].sort();

test("the ES module build exports exactly the public values", async () => {
  assert.deepEqual(sorted(Object.keys(await import("../dist/index.mjs"))), sorted(VALUES));
});

test("the CommonJS build and the browser file's global export the same", () => {
  assert.deepEqual(sorted(Object.keys(require("../dist/index.cjs"))), sorted(VALUES));
  const window = { location: { href: "https://portal.example.org/" }, navigator: { userAgent: "test" },
    URL, setTimeout, clearTimeout, console };
  window.window = window;
  const context = vm.createContext(window);
  vm.runInContext(readFileSync(BROWSER_FILE, "utf8"), context);
  assert.deepEqual(sorted(Object.keys(context.Twinspace)), sorted(VALUES));
});

test("the type declarations export the public values and types", () => {
  const ts = require("typescript");
  const index = fileURLToPath(new URL("../src/index.ts", import.meta.url));
  const { config } = ts.readConfigFile(fileURLToPath(new URL("../tsconfig.json", import.meta.url)), ts.sys.readFile);
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, fileURLToPath(new URL("..", import.meta.url)));
  const program = ts.createProgram([index], { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const names = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(index))).map((s) => s.name);
  assert.deepEqual(sorted(names), sorted([...VALUES, ...TYPES]));
});
