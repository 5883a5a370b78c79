/**
 * Forums: threads and their posts, over the `forum:*` events. Pushes about
 * every forum the user may read come as `client.forum` events.
 */

import { Emitter } from "./emitter.js";
import type { PushEvent, Pushes } from "./protocol.js";
import type { Transport } from "./transport.js";
import type { ForumEvents, Post, PostPage, Space, Thread, ThreadPage, ThreadSummary } from "./types.js";

export interface PageOptions {
  /** The `next_cursor` of the previous page. */
  cursor?: string | null;
  /** Up to 100; 30 by default. */
  limit?: number;
}

export interface NewThread {
  title: string;
  body: string;
  /** Ids of files uploaded with `client.uploadFile`. */
  attachments?: string[];
}

export interface NewPost {
  body: string;
  /** The id of the post this one quotes. */
  replyTo?: string;
  attachments?: string[];
}

const PUSH_EVENTS: Partial<Record<PushEvent, keyof ForumEvents>> = {
  "forum:thread_created": "threadCreated",
  "forum:thread_updated": "threadUpdated",
  "forum:post_created": "postCreated",
  "forum:post_edited": "postEdited",
  "forum:post_deleted": "postDeleted",
  "forum:post_hidden": "postHidden",
};

export class Forum extends Emitter<ForumEvents> {
  /** @internal */
  constructor(private readonly transport: Transport) {
    super();
  }

  /** The project's forums the user may read. */
  async listForums(projectId: string): Promise<Space[]> {
    const spaces = await this.transport.request("space:list", { project_id: projectId }, { repeatable: true });
    return spaces.filter((space) => space.kind === "forum");
  }

  /** Threads, pinned first, then by last activity; page on with `next_cursor`. */
  listThreads(forumId: string, options: PageOptions = {}): Promise<ThreadPage> {
    return this.transport.request("forum:thread_list", { forum_id: forumId, ...page(options) }, { repeatable: true });
  }

  createThread(forumId: string, thread: NewThread): Promise<Thread> {
    return this.transport.request("forum:thread_create", {
      forum_id: forumId,
      title: thread.title,
      body: thread.body,
      ...(thread.attachments !== undefined ? { attachments: thread.attachments } : {}),
    });
  }

  /** Change one's own thread's title or body. */
  editThread(threadId: string, changes: { title?: string; body?: string }): Promise<Thread> {
    return this.transport.request("forum:thread_edit", { thread_id: threadId, ...changes }, { repeatable: true });
  }

  /** Pin or lock a thread (teachers). */
  moderateThread(threadId: string, changes: { pinned?: boolean; locked?: boolean }): Promise<Thread> {
    return this.transport.request("forum:thread_moderate", { thread_id: threadId, ...changes }, { repeatable: true });
  }

  /** Delete a thread (teachers). */
  deleteThread(threadId: string): Promise<Thread> {
    return this.transport.request("forum:thread_delete", { thread_id: threadId });
  }

  /** Move one's read marker in a thread to post `seq`. */
  markThreadRead(threadId: string, seq: number): Promise<ThreadSummary> {
    return this.transport.request("forum:thread_read", { thread_id: threadId, seq }, { repeatable: true });
  }

  /** A thread and a page of its posts, in order; page on with `next_cursor`. */
  listPosts(threadId: string, options: PageOptions = {}): Promise<PostPage> {
    return this.transport.request("forum:post_list", { thread_id: threadId, ...page(options) }, { repeatable: true });
  }

  /** Reply in a thread. */
  createPost(threadId: string, post: NewPost): Promise<Post> {
    return this.transport.request("forum:post_create", {
      thread_id: threadId,
      body: post.body,
      ...(post.replyTo !== undefined ? { reply_to: post.replyTo } : {}),
      ...(post.attachments !== undefined ? { attachments: post.attachments } : {}),
    });
  }

  /** Change one's own post. */
  editPost(postId: string, body: string): Promise<Post> {
    return this.transport.request("forum:post_edit", { post_id: postId, body }, { repeatable: true });
  }

  /** Delete a post: one's own, or any as a teacher. It stays as a tombstone. */
  deletePost(postId: string): Promise<Post> {
    return this.transport.request("forum:post_delete", { post_id: postId });
  }

  /** @internal */
  handlePush<E extends PushEvent>(event: E, data: Pushes[E]): boolean {
    const name = PUSH_EVENTS[event];
    if (name === undefined) return false;
    this.emit(name, data as ForumEvents[typeof name]);
    return true;
  }
}

function page(options: PageOptions): { cursor?: string | null; limit?: number } {
  return {
    ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  };
}
