/**
 * A room's messages waiting to be sent. Sends go one at a time, in the
 * order they were made, each with its client_id from the start: a send
 * that got no ack is sent again with the same client_id (the server
 * stores it once), on the same connection after an ack time-out or on the
 * next one after a drop. Each send's promise settles exactly once.
 */

import {
  ConnectionError,
  RateLimitedError,
  ServerError,
  TimeoutError,
  TwinspaceError,
  clientError,
  ClientCodes,
} from "./errors.js";
import type { ChatSendPayload } from "./protocol.js";
import type { Transport } from "./transport.js";
import type { Message } from "./types.js";

/** Sends refused by a failing server are tried this many times in all before their promise rejects. */
const SERVER_ERROR_ATTEMPTS = 5;
const SERVER_ERROR_DELAY_MS = 1_000;

export interface OutboxHost {
  /** Joined on the current connection: sends may go. */
  isLive(): boolean;
  /** A send was stored: the room delivers the message in its place in the sequence. */
  stored(message: Message): void;
  /** A send was refused for good (its promise rejects with `error`). */
  refused(error: TwinspaceError): void;
}

interface Outgoing {
  readonly payload: ChatSendPayload;
  readonly resolve: (message: Message) => void;
  readonly reject: (error: TwinspaceError) => void;
  serverErrors: number;
}

export class Outbox {
  private readonly queue: Outgoing[] = [];
  private running = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly host: OutboxHost,
    private readonly ackTimeoutMs: number,
  ) {}

  /** Sends not acknowledged yet, oldest first. */
  get pending(): readonly ChatSendPayload[] {
    return this.queue.map((item) => item.payload);
  }

  add(payload: ChatSendPayload): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      let settled = false;
      this.queue.push({
        payload,
        resolve: (message) => {
          if (!settled) (settled = true), resolve(message);
        },
        reject: (error) => {
          if (!settled) (settled = true), reject(error);
        },
        serverErrors: 0,
      });
      this.pump();
    });
  }

  /** Send what waits, if the room is live; called again whenever it becomes live. */
  pump(): void {
    if (this.running || !this.host.isLive() || this.queue.length === 0) return;
    this.running = true;
    void this.run();
  }

  /** Fail every waiting send (the room was left or the client closed). */
  rejectAll(error: TwinspaceError): void {
    for (const item of this.queue.splice(0)) item.reject(error);
    this.wake?.();
  }

  private async run(): Promise<void> {
    // `running` is cleared in the same turn as the last settlement, so a send
    // made by that promise's continuation starts a new run.
    try {
      while (this.queue.length > 0 && this.host.isLive()) {
        const item = this.queue[0] as Outgoing;
        let message: Message;
        try {
          message = await this.transport.request("chat:send", item.payload,
            { epoch: this.transport.epoch, timeoutMs: this.ackTimeoutMs });
        } catch (caught) {
          if (this.queue[0] !== item) continue; // settled meanwhile (room left, client closed)
          const error = caught instanceof TwinspaceError
            ? caught
            : clientError(this.transport.language, ClientCodes.badResponse, { reason: String(caught) }, undefined,
              { cause: caught });
          if (error instanceof TimeoutError) continue; // no ack yet: same client_id again
          if (error instanceof ConnectionError) return; // the room pumps again once rejoined
          const delay = this.retryDelay(item, error);
          if (delay !== undefined) {
            await this.sleep(delay);
            continue;
          }
          this.queue.shift();
          item.reject(error);
          this.host.refused(error);
          continue;
        }
        if (this.queue[0] === item) this.queue.shift();
        item.resolve(message);
        this.host.stored(message);
      }
    } finally {
      this.running = false;
    }
  }

  /** How long to wait before sending again, or undefined to give up on this send. */
  private retryDelay(item: Outgoing, error: TwinspaceError): number | undefined {
    if (error instanceof RateLimitedError && error.code === "rate.limited") {
      return (error.retryAfterSecs ?? 1) * 1_000; // the queue keeps its order: wait for the window
    }
    if (error instanceof ServerError && ++item.serverErrors < SERVER_ERROR_ATTEMPTS) {
      return SERVER_ERROR_DELAY_MS * item.serverErrors;
    }
    return undefined;
  }

  /** Wait, or stop waiting as soon as the room changes state. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
