/**
 * A room's messages in `seq` order, each once, whatever order and however
 * many times they arrive (join pages, history pages, live pushes, acks).
 * Messages past a gap wait until the gap is filled.
 */

import type { Message } from "./types.js";

export class MessageSequence {
  private delivered: number;
  /** Messages after a gap, by seq. */
  private readonly ahead = new Map<number, Message>();
  /** Edits and deletions of messages not delivered yet, applied when they are. */
  private readonly updates = new Map<number, Message>();

  /** `lastSeq`: the seq after which messages are new (0 for a whole room). */
  constructor(lastSeq: number) {
    this.delivered = lastSeq;
  }

  /** The last seq handed out: every message up to it has been delivered, once. */
  get lastSeq(): number {
    return this.delivered;
  }

  /** The highest seq known to exist, delivered or waiting behind a gap. */
  get highestKnown(): number {
    let highest = this.delivered;
    for (const seq of this.ahead.keys()) highest = Math.max(highest, seq);
    return highest;
  }

  /** Take messages in any order, duplicates included; return those now deliverable, in seq order. */
  accept(messages: Iterable<Message>): Message[] {
    for (const message of messages) {
      if (message.seq <= this.delivered) continue;
      this.ahead.set(message.seq, newest(this.ahead.get(message.seq), message));
    }
    const ready: Message[] = [];
    for (;;) {
      const next = this.ahead.get(this.delivered + 1);
      if (!next) break;
      this.ahead.delete(next.seq);
      this.delivered = next.seq;
      const update = this.updates.get(next.seq);
      this.updates.delete(next.seq);
      ready.push(newest(update, next));
    }
    return ready;
  }

  /**
   * An edit or deletion. True when it is about a delivered message (tell the
   * application); otherwise it is kept and the message is delivered as it now is.
   */
  update(message: Message): boolean {
    if (message.seq <= this.delivered) return true;
    const waiting = this.ahead.get(message.seq);
    if (waiting) this.ahead.set(message.seq, newest(waiting, message));
    else this.updates.set(message.seq, newest(this.updates.get(message.seq), message));
    return false;
  }

  /** The server says nothing exists between lastSeq and `seq`: stop waiting for it. */
  skipTo(seq: number): void {
    if (seq > this.delivered) this.delivered = seq;
    for (const key of this.ahead.keys()) if (key <= seq) this.ahead.delete(key);
  }
}

/**
 * The later state of one message: the one with the higher `rev` (every change
 * takes the room's next one); without revs, a deletion wins, then the latest edit.
 */
export function newest(a: Message | undefined, b: Message): Message {
  if (!a) return b;
  if (typeof a.rev === "number" && typeof b.rev === "number" && a.rev !== b.rev) return a.rev > b.rev ? a : b;
  if (a.deleted !== b.deleted) return a.deleted ? a : b;
  return (a.edited_at ?? "") > (b.edited_at ?? "") ? a : b;
}
