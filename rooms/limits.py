"""Every size and count limit of the domain, in one place.

Each constant carries its unit and the reason for its value; the
protocol document (``docs/protocol.md``) lists them for portal developers.
"""

PROJECT_TITLE_MAX_CHARS = 200  # fits a list row and a mail subject
PROJECT_DESCRIPTION_MAX_CHARS = 10_000  # a page of text; the forum holds longer work
PROJECT_SUBJECT_MAX_CHARS = 100
PROJECT_LANGUAGES_MAX = 24  # the EU's official languages
PROJECT_PARTNERS_MAX = 20  # eTwinning projects rarely have more founding schools
PUPIL_AGE_MIN = 3  # pre-primary
PUPIL_AGE_MAX = 21  # upper secondary and initial vocational education
REASON_MAX_CHARS = 2_000  # a support officer's rejection note
DISPLAY_NAME_MAX_CHARS = 80
SCHOOL_MAX_CHARS = 200
USER_ID_MAX_CHARS = 128  # portal ids are opaque; bound them for indexes
EMAIL_MAX_CHARS = 254  # RFC 5321 path limit
SPACE_NAME_MAX_CHARS = 100
SPACES_PER_PROJECT_MAX = 100  # keeps the room list one page
MEMBERS_PAGE_MAX = 500  # a project with several classes stays one page
# Members read at once to name who read a message or to check mentions: a room of 1,000 and its staff, in
# one read (never a read per member).
MEMBERS_READ_MAX = 2_000
PROJECTS_PAGE_MAX = 200

# ---- chat ----
CHAT_TEXT_MAX_CHARS = 4_000  # a long paragraph; longer work belongs in the forum
CLIENT_ID_MAX_CHARS = 64  # a UUID with a prefix fits
CHAT_PAGE_MAX = 200  # one history or join page; a client fetches more by seq
CHAT_PAGE_DEFAULT = 50  # a screenful and some scroll-back
CHAT_RATE_MESSAGES_DEFAULT = 20  # a burst of quick replies; a script stands out at once
CHAT_RATE_WINDOW_SECS_DEFAULT = 10
# Every edit of a chat message is pushed to the whole room, like a send: a script re-editing one message
# would flood every member's screen. Corrections come a few a minute.
CHAT_EDIT_RATE_DEFAULT = 20
CHAT_EDIT_RATE_WINDOW_SECS_DEFAULT = 60
# Forum threads and posts, and their edits, one person may write per window: each is pushed to everyone
# who reads the forum. A long discussion is a few posts a minute.
FORUM_RATE_POSTS_DEFAULT = 20
FORUM_RATE_WINDOW_SECS_DEFAULT = 60
TYPING_THROTTLE_SECS = 2.0  # clients send typing on every key; others need it every few seconds at most
CHAT_RETENTION_DAYS_MAX = 3_650  # ten years: beyond that, keep everything (no retention); every period's bound

# ---- classroom chat: changes, reactions, pins, polls, seen by, mentions ----
CHANGES_PAGE_MAX = 200  # changed messages per page of a room's change feed (room:join since_rev, chat:changes)
# The reactions a project may offer: a small fixed set suited to school (no faces that mock or hurt);
# teachers choose which of them their project offers (ChatFeatures.reactions).
REACTIONS = ("👍", "👏", "❤️", "😀", "😮", "🤔", "🎉", "✅", "❓")
REACTIONS_DEFAULT = ("👍", "👏", "❤️", "😀", "😮", "🎉", "✅", "❓")
# Reactions one person may add or take back per window: each is pushed to the whole room.
REACTION_RATE_DEFAULT = 60
REACTION_RATE_WINDOW_SECS_DEFAULT = 60
PINS_PER_ROOM_MAX = 5  # "a few": a room's pins are shown on every join
POLL_QUESTION_MAX_CHARS = 300
POLL_OPTION_MAX_CHARS = 100
POLL_OPTIONS_MIN = 2
POLL_OPTIONS_MAX = 10
POLL_OPEN_DAYS_MAX = 60  # a poll's closing time is at most this far ahead (a school term's half)
POLL_CLOSE_SWEEP_SECS = 5.0  # how often each instance closes polls whose time has come
MENTIONS_PER_MESSAGE_MAX = 20  # a few people, or @teachers; a whole class is a message to the room
SEEN_BATCH_SECS = 1.0  # read markers moving in a room: one chat:seen push per room a second at most
SEEN_COUNTS_MAX = 100  # chat:seen carries the counts of the room's latest messages, at most this many
SEEN_TOLD_ROOMS_MAX = 10_000  # rooms whose last told counts an instance keeps, to tell only what changed
MENTION_NOTICE_EVERY_SECS = 3_600  # at most one e-mail notice of mentions per teacher and room an hour

# ---- search ----
SEARCH_QUERY_MAX_CHARS = 200  # a few words, or a pasted phrase
SEARCH_TERMS_MAX = 8  # words of a query that count (all must match): more only slows the index down
SEARCH_PAGE_DEFAULT = 20
SEARCH_PAGE_MAX = 50
SEARCH_SNIPPET_CHARS = 160  # about two lines around the first match
SEARCH_BEST_MAX = 1_000  # "best match" ranks at most this many matches (newest first beyond)
REINDEX_BATCH = 500  # items re-indexed per store call by `twinspace reindex`

# ---- forum ----
FORUM_TITLE_MAX_CHARS = 200  # one line in a thread list
FORUM_BODY_MAX_CHARS = 20_000  # a long essay from a class; longer work is a shared file
FORUM_PAGE_MAX = 100  # threads or posts per page
FORUM_PAGE_DEFAULT = 30

# ---- mail ----
MAIL_SUBJECT_MAX_CHARS = 200
MAIL_BODY_MAX_CHARS = 20_000
MAIL_RECIPIENTS_MAX = 50  # two classes and their teachers; wider messages belong in the forum
MAIL_RATE_MESSAGES_DEFAULT = 10  # mails one person may send per window
MAIL_RATE_WINDOW_SECS_DEFAULT = 60
MAIL_PAGE_MAX = 100
MAIL_PAGE_DEFAULT = 30
MAIL_CONVERSATION_MAX = 500  # mails of one conversation in the supervision view: a long exchange fits

# ---- files ----
FILE_MAX_BYTES_DEFAULT = 100 * 1024 * 1024  # a short class video; longer ones belong on a video platform
# An upload holds its project's quota before its first byte is read (FileStore.reserve_quota): its
# declared size, or, without one, a first step that doubles as the bytes come, up to the largest step.
QUOTA_HOLD_FIRST_BYTES = 64 * 1024
QUOTA_HOLD_STEP_MAX_BYTES = 8 * 1024 * 1024
QUOTA_HOLD_SECS = 6 * 3600  # a hold left by a process that died stops counting after this
PROJECT_QUOTA_BYTES_DEFAULT = 5 * 1024 * 1024 * 1024  # a school year of photos, slides and a few videos
FILE_NAME_MAX_CHARS = 255  # what file systems accept
ATTACHMENTS_MAX = 10  # per message, post or mail
SNIFF_BYTES = 4_096  # enough for every signature we check and a fair sample of text
OFFICE_DIRECTORY_MAX_BYTES = 4 * 1024 * 1024  # an Office file's ZIP directory: tens of thousands of parts

# ---- safeguarding ----
FILTER_WORD_MAX_CHARS = 60  # one word or a short phrase
FILTER_WORDS_MAX = 500  # a project's own words on top of the shipped lists
REPORT_NOTE_MAX_CHARS = 1_000  # a reporter's note or a moderator's decision note
REPORT_RATE_DEFAULT = 10  # reports one person may make per window: enough for a real problem, not a flood
REPORT_RATE_WINDOW_SECS_DEFAULT = 600
REPORT_CONTEXT_MESSAGES = 5  # messages kept before and after a reported one
REPORTS_PAGE_MAX = 100
REPORTS_PAGE_DEFAULT = 30
REPORT_ESCALATE_AFTER_SECS_DEFAULT = 24 * 3600  # an open report nobody handled in a day goes to support
AUDIT_PAGE_MAX = 200
AUDIT_PAGE_DEFAULT = 50
MUTE_MAX_MINUTES = 30 * 24 * 60  # a month; longer is a removal
SLOW_MODE_MAX_SECS = 3_600

# ---- retention and projects that end ----
RETENTION_BATCH = 500  # items per store call of a sweep: one short transaction, live writes never wait long
PROJECT_DELETE_BATCH = 500  # documents removed per store call when a project is deleted
PROJECTS_DELETED_PER_SWEEP = 20  # projects deleted in one sweep; the next sweep takes the rest
PROJECT_DELETION_GRACE_DAYS_DEFAULT = 180  # an archived project is deleted half a year later (see settings)
PROJECT_DELETION_GRACE_DAYS_MAX = 3_650
EXPORT_PAGE = 200  # items read from the store at a time while an export streams: memory stays flat
EXPORT_MARKERS_MAX = 10_000  # read markers in one export (one per room and per thread read)
ERASURE_BATCH = 200  # items rewritten per store call of an erasure: short transactions next to live traffic
ERASURE_CONFIRM_SECS = 600  # an erasure's confirmation is valid ten minutes after it was asked
EXPORTS_AT_ONCE = 2  # exports streaming at once per instance; others wait (each holds a worker thread per chunk)

# ---- one Socket.IO connection's requests (server/realtime/events.py) ----
# A connection's requests run side by side on the instance's one event loop: without a bound, one
# client firing thousands without waiting delays every other member's. 16 at once is more than the
# SDK ever has (it joins rooms and loads history a few at a time); 50 a second, with bursts of 100,
# is far above a person's pace and a reconnecting client's catch-up. Above: rate.limited at once.
# Operators tune them with --connection-requests-* (server/settings.py).
CONNECTION_REQUESTS_IN_FLIGHT_DEFAULT = 16
CONNECTION_REQUESTS_PER_SEC_DEFAULT = 50
CONNECTION_REQUESTS_BURST_DEFAULT = 100
