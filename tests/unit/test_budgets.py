"""What each Socket.IO event costs the document store, pinned: a regression fails here.

Every event of ``server/realtime/events.EVENTS`` runs once through its
action, on its happy path, over a real ``SqliteDocumentStore`` whose port
calls are counted (``tests/support/counting.py``). Setting up the project
and what the event acts on is not counted. The budget of an event is what
it costs today: a change that makes an event read or write more fails;
one that makes it cheaper fails too, so that the table is lowered and keeps
saying what things cost.

Reads done for the pushes that are built after the answer has left
(:class:`server.actions.base.Later`: a forum's audience, an unread badge)
are counted apart: they do not delay the answer, but they are load.

The sends here carry no attachments. How attachments are written is
changing (attached in the same write as the item); their cost is not
pinned here yet.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from pydantic import BaseModel

import storage
from rooms.audit_models import AuditListIn
from rooms.chat_models import (
    ChatDeleteIn,
    ChatEditIn,
    ChatHistoryIn,
    ChatReadIn,
    ChatSendIn,
    Message,
    RoomJoinIn,
    RoomRefIn,
)
from rooms.classroom_models import (
    ChatChangesIn,
    ChatFeaturesIn,
    ChatPinIn,
    ChatPollCreateIn,
    ChatPollRefIn,
    ChatPollVoteIn,
    ChatReactIn,
    ReactionsIn,
    SeenByIn,
)
from rooms.forum_models import (
    Post,
    PostCreateIn,
    PostEditIn,
    PostListIn,
    PostRefIn,
    Thread,
    ThreadCreateIn,
    ThreadEditIn,
    ThreadListIn,
    ThreadModerateIn,
    ThreadReadIn,
    ThreadRefIn,
)
from rooms.mail_models import (
    Mail,
    MailConversationIn,
    MailListIn,
    MailMoveIn,
    MailReadIn,
    MailRefIn,
    MailRemoveIn,
    MailSendIn,
    MailSupervisedIn,
    NoPayloadIn,
)
from rooms.models import MemberIn, PartnerIn, ProjectIn, User
from rooms.ports import DocumentStore
from rooms.report_models import (
    Report,
    ReportCreateIn,
    ReportDecideIn,
    ReportEscalatedIn,
    ReportListIn,
    ReportMineIn,
    ReportRefIn,
)
from rooms.restriction_models import (
    ChatHideIn,
    MuteIn,
    PostHideIn,
    RoomConfigureIn,
    SafeguardIn,
    SafeguardingRef,
    UnmuteIn,
)
from rooms.search_models import SearchIn
from server import settings as config
from server.actions.base import Connection, Context, Later, Outcome
from server.actions.privacy import ErasureConfirmOf
from server.actions.projects import HoldOf, MemberRef, NoPayload, ProjectRef, SpaceRef
from server.channels import room_channel
from server.realtime.events import EVENTS
from server.services import Services
from storage.ephemeral.memory import MemoryPresence, MemoryRateLimiter
from tests.support.counting import CountingDocumentStore, Kind

# Every method of the DocumentStore port, as a read or a write. A call that may change what is
# stored is a write, even when it reads first (append_message takes the next seq as it appends).
KINDS: dict[str, Kind] = {
    # ProjectStore
    "create_project": "write",
    "get_project": "read",
    "transition_project": "write",
    "list_projects_of": "read",
    "list_projects_by_status": "read",
    "add_member": "write",
    "get_member": "read",
    "list_members": "read",
    "set_member_role": "write",
    "remove_member": "write",
    "add_space": "write",
    "get_space": "read",
    "get_space_access": "read",
    "list_spaces": "read",
    "ping": "read",
    # ChatStore
    "append_message": "write",
    "get_message": "read",
    "find_message": "read",
    "messages_after": "read",
    "messages_before": "read",
    "edit_message": "write",
    "delete_message": "write",
    "last_seq": "read",
    "read_marker": "read",
    "mark_read": "write",
    "projects_with_retention": "read",
    "expire_messages": "write",
    # ForumStore
    "create_thread": "write",
    "get_thread": "read",
    "list_threads": "read",
    "update_thread": "write",
    "add_post": "write",
    "get_post": "read",
    "list_posts": "read",
    "update_post": "write",
    "thread_markers": "read",
    "mark_thread_read": "write",
    # MailStore
    "store_mail": "write",
    "get_copy": "read",
    "list_copies": "read",
    "update_copy": "write",
    "delete_copy": "write",
    "unread_mail": "read",
    "get_mail": "read",
    "list_supervised_mail": "read",
    "conversation_mails": "read",
    "remove_mail": "write",
    # FileStore
    "add_file": "write",
    "get_file": "read",
    "delete_file": "write",
    "project_usage": "read",
    "reserve_quota": "write",
    "release_quota": "write",
    # AuditStore
    "append_audit": "write",
    "list_audit": "read",
    # Restrictions (mutes, room rules, safeguarding settings, hiding)
    "set_mutes": "write",
    "update_space": "write",
    "set_safeguarding": "write",
    "hide_message": "write",
    # ReportStore, ContactStore
    "add_report": "write",
    "get_report": "read",
    "list_reports": "read",
    "list_reports_by": "read",
    "list_escalated": "read",
    "update_report": "write",
    "escalate_due": "write",
    "remember_contact": "write",
    "contacts": "read",
    # RetentionStore
    "set_retention": "write",
    "expire_posts": "write",
    "expire_threads": "write",
    "expire_mails": "write",
    "expiring_files": "write",
    "projects_to_delete": "read",
    "delete_project_batch": "write",
    "set_hold": "write",
    # ClassroomStore (the change feed, reactions, pins, polls, seen by, mentions) and the chat features
    "set_chat_features": "write",
    "changes_after": "read",
    "last_rev": "read",
    "react": "write",
    "reactions_of": "read",
    "my_reactions": "read",
    "erase_reactions": "write",
    "pin_message": "write",
    "pinned_messages": "read",
    "vote": "write",
    "close_poll": "write",
    "polls_due": "read",
    "poll_votes": "read",
    "my_votes": "read",
    "erase_votes": "write",
    "read_markers": "read",
    "latest_written": "read",
    "mention_count": "read",
    # SearchStore
    "search": "read",
    "reindex": "write",
    "clear_search": "write",
    # PersonStore (export, erasure)
    "messages_by": "read",
    "threads_by": "read",
    "posts_by": "read",
    "mails_from": "read",
    "files_of": "read",
    "read_markers_of": "read",
    "count_person": "read",
    "erase_messages": "write",
    "erase_threads": "write",
    "erase_posts": "write",
    "erase_mails": "write",
    "erase_mail_copies": "write",
    "forget_person": "write",
    "get_erasure": "read",
    "save_erasure": "write",
    "begin_erasure": "write",
}


class Budget(NamedTuple):
    reads: int
    writes: int
    later_reads: int = 0  # reads for the pushes built once the answer has left


# What one happy-path call of each event costs today: Budget(reads, writes, reads after the answer), and
# what the reads are. Sends carry no attachments (see the docstring).
BUDGETS: dict[str, Budget] = {
    "me:get": Budget(0, 0),  # the token's claims: no store
    "project:list": Budget(1, 0),  # the user's projects with their roles, in one read
    "project:get": Budget(2, 0),  # access: the project, then the membership
    "member:list": Budget(3, 0),  # access (project, membership), then the members
    "space:list": Budget(3, 0),  # access (project, membership), then the visible spaces
    "space:get": Budget(1, 0),  # space access in one read (space, project, membership)
    "room:join": Budget(7, 0),  # space access (checked before subscribing, then passed on), the last page,
    #                             last seq and read marker for the unread count, the pins, the mentions
    #                             after the marker, the last rev (the page's "seen by" counts cost one
    #                             read of the room's markers, the joiner's reactions and votes one each,
    #                             when the page has messages, reactions, polls: see chat:history)
    "room:leave": Budget(0, 0),  # presence only
    "chat:send": Budget(1, 1),  # space access in one read (it carries the mutes, room rules and chat hours:
    #                             rooms/safeguarding.py reads nothing more); the append numbers, deduplicates,
    #                             moves the marker (a message that mentions someone reads the members once more:
    #                             tests/unit/test_seen_mentions.py)
    "chat:history": Budget(3, 0),  # space access, one page, the room's read markers (its "seen by" counts);
    #                                the reader's reactions and votes, one read each, only for a page with some
    "chat:changes": Budget(4, 0),  # space access, one page of changes, the read markers, the last rev
    "chat:edit": Budget(2, 1),  # space access, the message (is it the author's?)
    "chat:delete": Budget(2, 1),  # space access, the message (the author's, or moderation?)
    "chat:typing": Budget(1, 0),  # space access (may write here?); the throttle is the rate limiter's
    "chat:read": Budget(2, 1),  # space access, last seq (to cap the marker); the write returns the marker
    #                             (the room's "seen by" counts that follow, chat:send's too, are read by the
    #                             fan-out once per room a second whoever read: two reads, the markers and
    #                             one page; tests/unit/test_seen_mentions.py pins them)
    "chat:seen_by": Budget(4, 0),  # space access, the message, the room's markers, the members (their names):
    #                                the same for a room of 1,000 (tests/unit/test_seen_mentions.py)
    "forum:thread_create": Budget(1, 1, 1),  # space access; later: the members who may read (the audience)
    "forum:thread_list": Budget(3, 0),  # space access, one page, the reader's markers of its threads
    "forum:thread_edit": Budget(3, 1, 1),  # the thread, its space access, the space again for the push;
    #                                        later: the audience
    "forum:thread_moderate": Budget(3, 1, 1),  # as thread_edit
    "forum:thread_delete": Budget(3, 1, 1),  # as thread_edit
    "forum:thread_read": Budget(2, 1),  # the thread (its post count caps the marker), its space access
    "forum:post_create": Budget(2, 1, 1),  # the thread, its space access (the space for the push too);
    #                                        later: the audience
    "forum:post_list": Budget(4, 0),  # the thread, its space access, one page, the reader's marker
    "forum:post_edit": Budget(4, 1, 1),  # the post, its thread, the space access, the space again for the push;
    #                                      later: the audience
    "forum:post_delete": Budget(4, 1, 1),  # as post_edit
    "mail:send": Budget(3, 1, 1),  # access (project, membership), the members (are the recipients in it?);
    #                                later: each recipient's unread count (one here)
    "mail:list": Budget(1, 0),  # one page of the folder
    "mail:get": Budget(1, 0),  # the reader's copy
    "mail:read": Budget(1, 1, 1),  # the copy (is it the reader's?); later: the reader's unread count
    "mail:move": Budget(1, 1, 1),  # as mail:read
    "mail:delete": Budget(1, 1, 1),  # as mail:read
    "mail:unread_count": Budget(1, 0),  # one count
    "mail:supervised": Budget(3, 1),  # access (project, membership), one page; the reading is recorded
    "mail:conversation": Budget(3, 1),  # access, the conversation's supervised mails; the reading is recorded
    "mail:remove": Budget(3, 1),  # the mail (its project), access; the removal writes its audit entry with it
    "audit:list": Budget(3, 0),  # access, one page of the log
    "moderation:mute": Budget(3, 1),  # access (project, membership), the pupil's membership; mutes and audit
    #                                   entry in one write
    "moderation:unmute": Budget(3, 1),  # as moderation:mute
    "room:configure": Budget(1, 1),  # space access; the rules and audit entry in one write
    "project:safeguarding": Budget(2, 0),  # access (project, membership): the settings are the project's
    "project:safeguard": Budget(2, 1, 1),  # access; the settings and audit entry in one write; later: the members
    "chat:hide": Budget(2, 1),  # space access, the message; hidden and audited in one write
    "forum:post_hide": Budget(4, 1, 1),  # the post, its thread, the space access, the space for the push;
    #                                      later: the audience
    "report:create": Budget(4, 1, 1),  # space access, the message, the messages before and after it (the
    #                                   context kept with the report); later: the staff to tell
    "report:mine": Budget(1, 0),  # one page of the reporter's reports
    "report:list": Budget(3, 0),  # access (project, membership), one page of the queue
    "report:escalated": Budget(1, 0),  # one page (support officers need no membership)
    "report:get": Budget(3, 0),  # the report, then access to its project (project, membership)
    "report:decide": Budget(3, 1, 1),  # as report:get; the write carries its audit entry; later: the staff
    "project:hold": Budget(2, 1),  # access (project, membership); the hold and its audit entry in one write
    "chat:react": Budget(1, 1),  # space access (it carries what check_write needs and the project's reactions);
    #                              the reaction, the recount and the message's next rev in one write
    "chat:reactions": Budget(4, 0),  # space access, the message, its reactions, the members (their names: one
    #                                  read, whatever the number of people who reacted)
    "chat:pin": Budget(2, 1),  # space access, the message (already so?); pinned (capped) and audited in one write
    "project:chat_features": Budget(2, 1, 1),  # access (project, membership); the features and audit entry in
    #                                            one write; later: the members to tell
    "member:erase_request": Budget(6, 1),  # access (project, membership), the erasure so far, the person's
    #                                        membership, the counts and the reports holding their text; the
    #                                        confirmation (hashed) stored
    "member:erase_confirm": Budget(11, 14),  # the member (their role), access, the erasure, the counts again; then batches until each kind
    #                                         answers 0 (here one item of most kinds; the reactions and the votes
    #                                         one batch each), the files, the reports, the
    #                                         spaces (rate-limit keys, eviction) and the members to tell
    "chat:poll_create": Budget(1, 1),  # space access; the append numbers and deduplicates it, as chat:send
    "chat:poll_vote": Budget(2, 1),  # space access, the poll (open? which choices fit?); the vote and counts
    #                                  in one write
    "chat:poll_close": Budget(2, 1),  # space access, the poll; closed and audited in one write
    "chat:poll_voters": Budget(4, 0),  # space access, the poll, its votes, the members (their names), however
    #                                    many voted
    "search:query": Budget(4, 0),  # access (project, membership), the project's spaces (the scope), one search;
    #                                a file found through someone else's item reads its record and that item
}

TEACHER = User(id="teacher_fr", name="Claire", role="teacher", school="Collège Lyon", country="FR")
PARTNER = User(id="teacher_de", name="Jonas", role="teacher", school="Gymnasium Köln", country="DE")
PUPIL = User(id="pupil_fr", name="Léa", role="pupil", school=TEACHER.school, country="FR")
PUPIL_DE = User(id="pupil_de", name="Mats", role="pupil", school=PARTNER.school, country="DE")
SUPPORT = User(id="support", name="Support", role="support", country="FR")
SID = "sid-budget"


class RecordingChannels:
    """The transport's channels: records what the acting connection listens to."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    async def subscribe(self, sid: str, channel: str) -> None:
        self.events.append(("subscribe", sid, channel))

    async def unsubscribe(self, sid: str, channel: str) -> None:
        self.events.append(("unsubscribe", sid, channel))

    def caught_up(self, channel: str, seq: int) -> None: ...


@dataclass
class World:
    """A validated project with two teachers and two pupils, and one of each thing to act on."""

    services: Services
    counter: CountingDocumentStore
    channels: RecordingChannels
    project_id: str
    general: str
    staff: str
    forum: str
    message: Message
    thread: Thread
    post: Post
    mail: Mail
    report: Report

    def context(self, user: User) -> Context:
        return Context(user, self.services, Connection(SID, self.channels))


async def _build(services: Services) -> dict[str, Any]:
    projects = services.projects
    project = await projects.register(TEACHER, ProjectIn(
        title="Rivers", subject="Geography", age_min=12, age_max=14, languages=["en", "fr"],
        partners=[PartnerIn(user_id=PARTNER.id, display_name=PARTNER.name, school=PARTNER.school, country="DE")]))
    await projects.review(SUPPORT, project.id, approve=True)
    for pupil, adder in ((PUPIL, TEACHER), (PUPIL_DE, PARTNER)):
        await projects.add_member(adder, project.id, MemberIn(role="pupil", user_id=pupil.id,
                                                              display_name=pupil.name, school=pupil.school))
    spaces = {s.default_key: s.id for s in await projects.list_spaces(TEACHER, project.id)}
    general, staff, forum = spaces["general"], spaces["staff"], spaces["forum"]
    message, _ = await services.chat.send(PUPIL, ChatSendIn(room_id=general, client_id="c-setup", text="hello"))
    await services.chat.send(PUPIL_DE, ChatSendIn(room_id=general, client_id="c-setup-de", text="hallo"))
    thread, _ = await services.forum.create_thread(PUPIL, ThreadCreateIn(forum_id=forum, title="Our river",
                                                                         body="The Rhône"))
    post, _ = await services.forum.create_post(PUPIL_DE, PostCreateIn(thread_id=thread.id, body="The Rhine"))
    mail, _ = await services.mail.send(TEACHER, MailSendIn(project_id=project.id, to=[PUPIL.id],
                                                           subject="Homework", body="Read about rivers"))
    report = await services.reports.create(PUPIL, ReportCreateIn(kind="post", item_id=post.id, reason="spam"))
    return {"project_id": project.id, "general": general, "staff": staff, "forum": forum, "message": message,
            "thread": thread, "post": post, "mail": mail, "report": report}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with (storage.open_documents(f"sqlite://{tmp_path / 'budgets.db'}") as documents,
                storage.open_objects(f"file://{tmp_path / 'files'}") as objects):
        counter = CountingDocumentStore(documents, KINDS)

        async def fanout_ping() -> None:
            return None

        services = Services.build(config.load({"data_dir": str(tmp_path)}, {}), counter.as_port(), objects, MemoryPresence(),
                                  MemoryRateLimiter(), fanout_ping)
        built = await _build(services)
        yield World(services, counter, RecordingChannels(), **built)


async def _joined(w: World) -> None:
    await EVENTS["room:join"].run(w.context(PUPIL), RoomJoinIn(room_id=w.general))


# Each event's happy path: who acts, with what payload. Pupils act, as most of the traffic is theirs;
# a teacher where only moderators may.
SCENARIOS: dict[str, Callable[[World], tuple[User, BaseModel]]] = {
    "me:get": lambda w: (PUPIL, NoPayload()),
    "project:list": lambda w: (PUPIL, NoPayload()),
    "project:get": lambda w: (PUPIL, ProjectRef(project_id=w.project_id)),
    "member:list": lambda w: (PUPIL, ProjectRef(project_id=w.project_id)),
    "space:list": lambda w: (PUPIL, ProjectRef(project_id=w.project_id)),
    "space:get": lambda w: (PUPIL, SpaceRef(space_id=w.general)),
    "room:join": lambda w: (PUPIL, RoomJoinIn(room_id=w.general)),
    "room:leave": lambda w: (PUPIL, RoomRefIn(room_id=w.general)),
    "chat:send": lambda w: (PUPIL, ChatSendIn(room_id=w.general, client_id="c-1", text="Bonjour")),
    "chat:history": lambda w: (PUPIL, ChatHistoryIn(room_id=w.general)),
    "chat:changes": lambda w: (PUPIL, ChatChangesIn(room_id=w.general, after_rev=0)),
    "chat:edit": lambda w: (PUPIL, ChatEditIn(room_id=w.general, message_id=w.message.id, text="Bonjour !")),
    "chat:delete": lambda w: (PUPIL, ChatDeleteIn(room_id=w.general, message_id=w.message.id)),
    "chat:typing": lambda w: (PUPIL, RoomRefIn(room_id=w.general)),
    "chat:read": lambda w: (PUPIL, ChatReadIn(room_id=w.general, seq=2)),
    "chat:seen_by": lambda w: (TEACHER, SeenByIn(room_id=w.general, message_id=w.message.id)),
    "forum:thread_create": lambda w: (PUPIL, ThreadCreateIn(forum_id=w.forum, title="Bridges", body="Pont")),
    "forum:thread_list": lambda w: (PUPIL, ThreadListIn(forum_id=w.forum)),
    "forum:thread_edit": lambda w: (PUPIL, ThreadEditIn(thread_id=w.thread.id, title="Our rivers")),
    "forum:thread_moderate": lambda w: (TEACHER, ThreadModerateIn(thread_id=w.thread.id, pinned=True)),
    "forum:thread_delete": lambda w: (TEACHER, ThreadRefIn(thread_id=w.thread.id)),
    "forum:thread_read": lambda w: (PUPIL, ThreadReadIn(thread_id=w.thread.id, seq=1)),
    "forum:post_create": lambda w: (PUPIL, PostCreateIn(thread_id=w.thread.id, body="And the Saône")),
    "forum:post_list": lambda w: (PUPIL, PostListIn(thread_id=w.thread.id)),
    "forum:post_edit": lambda w: (PUPIL_DE, PostEditIn(post_id=w.post.id, body="The Rhine, in Köln")),
    "forum:post_delete": lambda w: (PUPIL_DE, PostRefIn(post_id=w.post.id)),
    "mail:send": lambda w: (PUPIL, MailSendIn(project_id=w.project_id, to=[PUPIL_DE.id], subject="Hi",
                                              body="Hello Mats")),
    "mail:list": lambda w: (PUPIL, MailListIn()),
    "mail:get": lambda w: (PUPIL, MailRefIn(mail_id=w.mail.id)),
    "mail:read": lambda w: (PUPIL, MailReadIn(mail_id=w.mail.id)),
    "mail:move": lambda w: (PUPIL, MailMoveIn(mail_id=w.mail.id, folder="archived")),
    "mail:delete": lambda w: (PUPIL, MailRefIn(mail_id=w.mail.id)),
    "mail:unread_count": lambda w: (PUPIL, NoPayloadIn()),
    "mail:supervised": lambda w: (TEACHER, MailSupervisedIn(project_id=w.project_id)),
    "mail:conversation": lambda w: (PARTNER, MailConversationIn(project_id=w.project_id,
                                                                conversation_id=w.mail.conversation_id)),
    "mail:remove": lambda w: (PARTNER, MailRemoveIn(mail_id=w.mail.id)),
    "audit:list": lambda w: (TEACHER, AuditListIn(project_id=w.project_id)),
    "moderation:mute": lambda w: (TEACHER, MuteIn(project_id=w.project_id, user_id=PUPIL.id, minutes=10)),
    "moderation:unmute": lambda w: (TEACHER, UnmuteIn(project_id=w.project_id, user_id=PUPIL.id)),
    "room:configure": lambda w: (TEACHER, RoomConfigureIn(room_id=w.general, slow_mode_secs=5)),
    "project:safeguarding": lambda w: (PUPIL, SafeguardingRef(project_id=w.project_id)),
    "project:safeguard": lambda w: (TEACHER, SafeguardIn(project_id=w.project_id, word_filter="block")),
    "chat:hide": lambda w: (TEACHER, ChatHideIn(room_id=w.general, message_id=w.message.id, hidden=True)),
    "forum:post_hide": lambda w: (TEACHER, PostHideIn(post_id=w.post.id, hidden=True)),
    "report:create": lambda w: (PUPIL_DE, ReportCreateIn(kind="message", item_id=w.message.id, room_id=w.general,
                                                         reason="bullying")),
    "report:mine": lambda w: (PUPIL, ReportMineIn()),
    "report:list": lambda w: (TEACHER, ReportListIn(project_id=w.project_id)),
    "report:escalated": lambda w: (SUPPORT, ReportEscalatedIn()),
    "report:get": lambda w: (TEACHER, ReportRefIn(report_id=w.report.id)),
    "report:decide": lambda w: (TEACHER, ReportDecideIn(report_id=w.report.id, state="resolved", action="hidden")),
    "project:hold": lambda w: (SUPPORT, HoldOf(project_id=w.project_id, held=True, reason="an inquiry")),
    "chat:react": lambda w: (PUPIL_DE, ChatReactIn(room_id=w.general, message_id=w.message.id, emoji="👍")),
    "chat:reactions": lambda w: (PUPIL, ReactionsIn(room_id=w.general, message_id=w.message.id)),
    "chat:pin": lambda w: (TEACHER, ChatPinIn(room_id=w.general, message_id=w.message.id)),
    "project:chat_features": lambda w: (TEACHER, ChatFeaturesIn(project_id=w.project_id, seen_by="counts_only")),
    "member:erase_request": lambda w: (TEACHER, MemberRef(project_id=w.project_id, user_id=PUPIL.id)),
    "member:erase_confirm": lambda w: (TEACHER, ErasureConfirmOf(project_id=w.project_id, user_id=PUPIL.id,
                                                                 confirmation=_CONFIRMATIONS[id(w)])),
    "chat:poll_create": lambda w: (TEACHER, ChatPollCreateIn(room_id=w.general, client_id="p-1", question="Which?",
                                                             options=["Rhône", "Rhine"])),
    "chat:poll_vote": lambda w: (PUPIL, ChatPollVoteIn(room_id=w.general, message_id=_POLLS[id(w)], choices=[1])),
    "chat:poll_close": lambda w: (TEACHER, ChatPollRefIn(room_id=w.general, message_id=_POLLS[id(w)])),
    "chat:poll_voters": lambda w: (TEACHER, ChatPollRefIn(room_id=w.general, message_id=_POLLS[id(w)])),
    "search:query": lambda w: (PUPIL, SearchIn(project_id=w.project_id, q="rhone")),
}

# What shows that a call took its happy path, where the absence of an error does not say it.
HAPPY: dict[str, Callable[[World, Outcome[Any]], bool]] = {
    "room:join": lambda w, o: w.channels.events[-1] == ("subscribe", SID, room_channel(w.general)),
    "room:leave": lambda w, o: w.channels.events[-1] == ("unsubscribe", SID, room_channel(w.general)),
    "chat:send": lambda w, o: len(o.pushes) == 3,  # stored anew: the room and the author's tabs are told, and
    #                                                the room's "seen by" counts moved (the author's marker)
    "chat:seen_by": lambda w, o: o.result.seen == 1 and [p.user_id for p in o.result.readers] == [PUPIL_DE.id],
    "chat:typing": lambda w, o: o.result.sent,  # not throttled
    "mail:supervised": lambda w, o: [m.id for m in o.result.mails] == [w.mail.id],
    "mail:remove": lambda w, o: len(o.pushes) == 1 and o.result.removed_by == PARTNER.id,
    "audit:list": lambda w, o: len(o.result.entries) > 0,
    "moderation:mute": lambda w, o: len(o.result.mutes) == 1,
    "moderation:unmute": lambda w, o: o.result.mutes == [],  # the mute made by PREPARE has ended
    "chat:react": lambda w, o: len(o.pushes) == 1 and o.result.reactions[0].count == 2,  # changed: the room hears
    "chat:reactions": lambda w, o: [len(r.people) for r in o.result.reactions] == [1],
    "chat:pin": lambda w, o: len(o.pushes) == 1 and o.result.pinned,
    "project:chat_features": lambda w, o: len(o.pushes) == 1 and o.result.seen_by == "counts_only",
    "chat:poll_create": lambda w, o: len(o.pushes) == 2,  # stored anew: the room and the author's tabs are told
    "chat:poll_vote": lambda w, o: o.result.message.poll.voters == 2,  # counted with the vote PREPARE made
    "chat:poll_close": lambda w, o: o.result.poll.closed,
    "chat:poll_voters": lambda w, o: [len(v.people) for v in o.result.options] == [1, 0],
    "search:query": lambda w, o: [r.kind for r in o.result.results] == ["thread"],  # "Our river", "The Rhône"
}

# What must have happened before an event's own call (not counted).
async def _muted(w: World) -> None:
    await w.services.safeguarding.mute(TEACHER, MuteIn(project_id=w.project_id, user_id=PUPIL.id, minutes=10))


_CONFIRMATIONS: dict[int, str] = {}  # world -> the confirmation of the erasure it asked for


async def _erasure_asked(w: World) -> None:
    asked = await w.services.erasure.request(TEACHER, w.project_id, PUPIL.id)
    _CONFIRMATIONS[id(w)] = asked.confirmation


async def _reacted(w: World) -> None:
    await w.services.reactions.react(PUPIL, ChatReactIn(room_id=w.general, message_id=w.message.id, emoji="👍"))


_POLLS: dict[int, str] = {}  # world -> the id of the poll it made


async def _polled(w: World) -> None:
    poll, _ = await w.services.polls.create(TEACHER, ChatPollCreateIn(room_id=w.general, client_id="p-setup",
                                                                      question="Which?", options=["Rhône", "Rhine"]))
    await w.services.polls.vote(PUPIL_DE, ChatPollVoteIn(room_id=w.general, message_id=poll.id, choices=[0]))
    _POLLS[id(w)] = poll.id


PREPARE: dict[str, Callable[[World], Any]] = {
    "chat:react": _reacted,  # someone reacted before: the counts are recounted, not started
    "chat:reactions": _reacted,
    "room:leave": _joined,
    "moderation:unmute": _muted,  # a mute to end
    "member:erase_confirm": _erasure_asked,
    "chat:poll_vote": _polled,
    "chat:poll_close": _polled,
    "chat:poll_voters": _polled,
}


def _port_methods() -> set[str]:
    return {name for name, _ in inspect.getmembers(DocumentStore, inspect.isfunction) if not name.startswith("_")}


def test_every_port_method_is_a_read_or_a_write() -> None:
    assert set(KINDS) == _port_methods()
    assert set(KINDS.values()) <= {"read", "write"}


def test_every_event_has_a_budget_and_a_happy_path() -> None:
    assert set(BUDGETS) == set(EVENTS)
    assert set(SCENARIOS) == set(EVENTS)


async def test_the_counter_counts_each_call_by_its_kind() -> None:
    class Store:
        async def get_project(self, project_id: str) -> None:
            return None

        async def add_member(self, member: object) -> bool:
            return True

        async def unclassified(self) -> None:
            return None

    counter = CountingDocumentStore(Store(), KINDS)  # type: ignore[arg-type]
    await counter.get_project("p")
    await counter.get_project("p")
    await counter.add_member(object())
    assert (counter.count("read"), counter.count("write")) == (2, 1)
    assert counter.summary() == "reads: get_project x2; writes: add_member x1"
    with pytest.raises(AttributeError, match="no read/write class"):
        counter.unclassified  # noqa: B018 - the lookup is what refuses
    counter.reset()
    assert counter.calls == []


async def _measure(world: World, name: str) -> tuple[Outcome[Any], Budget, str]:
    prepare = PREPARE.get(name)
    if prepare is not None:
        await prepare(world)
    user, payload = SCENARIOS[name](world)
    world.counter.reset()
    outcome = await EVENTS[name].run(world.context(user), payload)
    reads, writes, summary = world.counter.count("read"), world.counter.count("write"), world.counter.summary()
    world.counter.reset()
    for push in outcome.pushes:
        if isinstance(push, Later):
            await push.make()
    later = world.counter.count("read")
    assert world.counter.count("write") == 0, f"{name}: a push wrote: {world.counter.summary()}"
    return outcome, Budget(reads, writes, later), f"{summary}; after the answer: {world.counter.summary()}"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_event_stays_within_its_budget(world: World, name: str) -> None:
    outcome, spent, detail = await _measure(world, name)
    happy = HAPPY.get(name)
    assert happy is None or happy(world, outcome), f"{name} did not take its happy path: {outcome}"
    budget = BUDGETS[name]
    assert spent == budget, (f"{name} costs {spent} ({detail}), its budget is {budget}: a regression, or "
                             "a saving to write into BUDGETS")
