/**
 * @twinspace/client: the JavaScript SDK for Twinspace, the real-time
 * messaging server for school collaboration projects.
 */

export { createClient, TwinspaceClient } from "./client.js";
export type { ClientOptions, ClientState } from "./client.js";
export { Room } from "./room.js";
export type { HistoryOptions, JoinOptions, NewPoll, RoomState, SendOptions } from "./room.js";
export { Forum } from "./forum.js";
export type { NewPost, NewThread, PageOptions } from "./forum.js";
export { MailBox } from "./mail.js";
export type { MailListOptions, NewMail } from "./mail.js";
export { Moderation } from "./moderation.js";
export type {
  AuditFilters,
  CursorOptions,
  Decision,
  MuteOptions,
  ReportListOptions,
  ReportOptions,
  ReportTarget,
  RoomRules,
  SafeguardingChanges,
} from "./moderation.js";
export { Privacy } from "./privacy.js";
export type { DownloadExportOptions, ExportOptions, ExportStream, RetentionChanges, SavedExport } from "./privacy.js";
export type { SearchKind, SearchOptions, SearchOrder, SearchPager } from "./search.js";
export type { UploadData, UploadOptions, UploadProgress } from "./upload.js";
export type { GetToken } from "./token.js";
export type { AckOf, ChatSendPayload, MailSendPayload, PayloadOf, PushEvent, Pushes, RequestEvent, Requests } from "./protocol.js";
export { Limits } from "./wire.js";
export type { TransportName } from "./transport.js";
export type { Listener } from "./emitter.js";
export {
  AuthError,
  ClientCodes,
  ConflictError,
  ConnectionError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  TimeoutError,
  TwinspaceError,
  ValidationError,
  isTwinspaceError,
} from "./errors.js";
export type { CauseOptions, ClientCode, CodeFamily, KnownCode, TwinspaceErrorOptions } from "./errors.js";
export type * from "./types.js";
