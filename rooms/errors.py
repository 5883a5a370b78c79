"""The one registry of error codes.

Every failure that reaches a client is a :class:`TwinspaceError`. Its
``code`` is a stable dotted string (part of the public protocol, see
``docs/protocol.md``); its ``data`` carries the fields the message refers
to. Each code's message is written here once, in English, as a
``str.format`` template; its translations are the gettext catalogues that
``rooms/languages.py`` reads (the code is the ``msgctxt``, the English the
``msgid``). ``server/wire.py`` renders it in the user's language
(``server/i18n.py`` negotiates it); nothing else builds the envelope.

Tree::

    TwinspaceError                 (code, status, data)
    ├── InvalidRequest             request.invalid, request.too_large, ...
    │   └── NotAttachable          file.not_attachable (a store raises it too)
    ├── Unauthenticated            auth.*
    ├── Forbidden                  permission.denied, project.archived, ...
    ├── NotFound                   *.not_found
    ├── Conflict                   *.exists, member.last_admin, ...
    ├── RateLimited                rate.limited
    ├── Unavailable                backend.unavailable, demo.no_secret
    └── InternalError              internal.error (never carries a cause's text)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rooms.languages import translate

_FIELD = re.compile(r"(?:^|; )([A-Za-z_][\w.\[\]]*): ")  # "text: ...; to.0: ..." -> text, to.0


class TwinspaceError(Exception):
    """Base of every error the protocol reports. ``data`` is public."""

    default_code = "internal.error"

    def __init__(self, code: str | None = None, **data: Any) -> None:
        self.code = code or self.default_code
        spec = SPECS.get(self.code)
        if spec is None:
            raise ValueError(f"unregistered error code {self.code!r}")
        if not isinstance(self, spec.kind):
            raise ValueError(f"{self.code} is a {spec.kind.__name__}, not a {type(self).__name__}")
        if spec.names_field and "field" not in data:
            # The field at fault, language-neutral, for the messages that cannot show the English detail:
            # given, or the start of ``detail`` ("text: at most 4000 characters"), or ``payload``.
            data["field"] = ", ".join(dict.fromkeys(_FIELD.findall(str(data.get("detail", ""))))) or "payload"
        self.data = data
        super().__init__(f"{self.code} {data}" if data else self.code)

    @property
    def status(self) -> int:
        return SPECS[self.code].status


class InvalidRequest(TwinspaceError):
    """A request the client must change; ``request.invalid`` always names the ``field`` at fault."""

    default_code = "request.invalid"


class NotAttachable(InvalidRequest):
    """``file.not_attachable``: a file listed as an attachment cannot be attached to the item.

    The domain raises it when a file fails its checks (someone else's, another project's,
    already attached); a document store raises it when a file that passed them was attached
    elsewhere before the item's write, which then stores nothing.
    """

    def __init__(self, file_id: str, detail: str = "it is already attached") -> None:
        super().__init__("file.not_attachable", file_id=file_id, detail=detail)


class Unauthenticated(TwinspaceError):
    default_code = "auth.malformed"


class Forbidden(TwinspaceError):
    default_code = "permission.denied"


class NotFound(TwinspaceError):
    default_code = "project.not_found"


class Conflict(TwinspaceError):
    default_code = "project.bad_state"


class RateLimited(TwinspaceError):
    default_code = "rate.limited"


class Unavailable(TwinspaceError):
    default_code = "backend.unavailable"


class InternalError(TwinspaceError):
    """Something went wrong that the client cannot fix; never carries a cause's text."""

    default_code = "internal.error"


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    kind: type[TwinspaceError]  # the one exception class that carries this code
    status: int  # the HTTP status REST answers with; acks carry only the code
    message: str  # the English template, and the msgid of its translations
    names_field: bool = False  # the translations name the ``field`` at fault where the English shows ``detail``


# code -> spec. Messages are str.format templates over the error's data;
# a missing field renders as an empty string (see ``render``). ``detail`` is
# English text written for developers (a validator's explanation): only the
# English messages show it; translations leave it out, and those of a spec
# with ``names_field`` name the ``field`` instead (tests/unit/test_catalogues.py).
_SPECS = [
    ErrorSpec("request.invalid", InvalidRequest, 400, "Invalid request: {detail}", names_field=True),
    ErrorSpec("request.too_large", InvalidRequest, 413, "Request too large (limit {limit_bytes} bytes)."),
    ErrorSpec("auth.missing", Unauthenticated, 401, "A token is required."),
    ErrorSpec("auth.malformed", Unauthenticated, 401, "The token is malformed."),
    ErrorSpec("auth.expired", Unauthenticated, 401, "The token has expired."),
    ErrorSpec("auth.not_yet_valid", Unauthenticated, 401, "The token is not valid yet."),
    ErrorSpec("auth.bad_issuer", Unauthenticated, 401, "The token was issued by an untrusted issuer."),
    ErrorSpec("auth.bad_audience", Unauthenticated, 401, "The token is meant for another audience."),
    ErrorSpec("auth.bad_algorithm", Unauthenticated, 401, "The token's signing algorithm is not accepted."),
    ErrorSpec("auth.bad_signature", Unauthenticated, 401, "The token's signature is invalid."),
    ErrorSpec("auth.bad_claims", Unauthenticated, 401, "The token's claims are invalid: {detail}", names_field=True),
    ErrorSpec("auth.origin_denied", Unauthenticated, 403, "This origin may not connect."),
    ErrorSpec("permission.denied", Forbidden, 403, "You may not do this here."),
    ErrorSpec("project.not_open", Forbidden, 403, "This project's Twinspace is not open (status: {status})."),
    ErrorSpec("project.archived", Forbidden, 403, "This project is archived and read-only."),
    ErrorSpec("project.not_found", NotFound, 404, "Project not found."),
    ErrorSpec("project.bad_state", Conflict, 409, "The project is {status}; this is not possible now."),
    ErrorSpec("project.exists", Conflict, 409, "A project with this id exists already."),
    ErrorSpec("project.partners_required", InvalidRequest, 400,
              "A project needs at least one partner teacher from another school."),
    ErrorSpec("member.not_found", NotFound, 404, "Member not found."),
    ErrorSpec("member.exists", Conflict, 409, "This user is already a member."),
    ErrorSpec("member.not_yours", Forbidden, 403,
              "Only a teacher of one of this person's projects can add them to another project."),
    ErrorSpec("member.last_admin", Conflict, 409, "A project keeps at least one admin."),
    ErrorSpec("member.role_not_allowed", InvalidRequest, 400, "A {platform_role} account cannot have the role {role}."),
    ErrorSpec("space.limit_reached", Conflict, 409, "This project has {limit} spaces, the most it may have."),
    ErrorSpec("room.not_found", NotFound, 404, "Room not found."),
    ErrorSpec("forum.thread_not_found", NotFound, 404, "Thread not found."),
    ErrorSpec("forum.post_not_found", NotFound, 404, "Post not found."),
    ErrorSpec("forum.thread_locked", Conflict, 409, "This thread is locked: no new posts."),
    ErrorSpec("mail.not_found", NotFound, 404, "Mail not found."),
    ErrorSpec("mail.recipient_not_member", InvalidRequest, 400,
              "Mail goes only to members of the project ({count} recipient(s) are not)."),
    ErrorSpec("mail.too_many_recipients", InvalidRequest, 400, "Too many recipients (at most {limit})."),
    ErrorSpec("message.not_found", NotFound, 404, "Message not found."),
    ErrorSpec("file.not_found", NotFound, 404, "File not found."),
    ErrorSpec("file.too_large", InvalidRequest, 413, "The file is too large (limit {limit_bytes} bytes)."),
    ErrorSpec("file.quota_exceeded", InvalidRequest, 413, "The project's storage quota ({quota_bytes} bytes) is used up."),
    ErrorSpec("file.type_not_allowed", InvalidRequest, 415, "This kind of file cannot be shared here."),
    ErrorSpec("file.not_attachable", InvalidRequest, 400, "File {file_id} cannot be attached here: {detail}"),
    ErrorSpec("file.exists", Conflict, 409, "A file with this id exists already."),
    ErrorSpec("file.upload_incomplete", InvalidRequest, 400, "The upload was cut off; nothing was kept."),
    # ---- safeguarding: who may write when, and what -------------------------------------
    ErrorSpec("chat.muted", Forbidden, 403, "You are muted here until {until}: you can read but not write."),
    ErrorSpec("chat.read_only", Forbidden, 403, "This room is for announcements: only teachers write here."),
    ErrorSpec("chat.slow_mode", RateLimited, 429, "Slow mode is on: wait {retry_after_secs} s before your next message."),
    ErrorSpec("chat.closed_hours", Forbidden, 403, "The chat is closed now; it opens again at {opens_at}."),
    ErrorSpec("content.blocked", InvalidRequest, 400,
              "This text contains words this project does not allow; change it and send it again."),
    ErrorSpec("member.not_mutable", InvalidRequest, 400, "Only pupils can be muted."),
    ErrorSpec("mail.recipient_not_allowed", InvalidRequest, 400,
              "Pupils cannot mail {count} of these recipients (this project: {policy})."),
    # ---- classroom chat: reactions, pins, polls, seen by, mentions ---------------------------
    ErrorSpec("chat.reaction_not_offered", InvalidRequest, 400, "This project does not offer the reaction {emoji}."),
    ErrorSpec("chat.pins_full", Conflict, 409, "This room already has {max} pinned messages: unpin one first."),
    ErrorSpec("chat.not_a_poll", InvalidRequest, 400, "This message is not a poll."),
    ErrorSpec("chat.poll_closed", Conflict, 409, "This poll is closed."),
    ErrorSpec("chat.poll_choice_invalid", InvalidRequest, 400,
              "Choose {allowed} of the poll's {options} options."),
    ErrorSpec("chat.poll_anonymous", Forbidden, 403, "This poll is anonymous: who voted for what is not shown."),
    ErrorSpec("chat.seen_by_hidden", Forbidden, 403, "This project does not show who has read a message."),
    ErrorSpec("chat.mention_invalid", InvalidRequest, 400,
              "{count} of the people mentioned cannot read this room."),
    ErrorSpec("report.not_found", NotFound, 404, "Report not found."),
    ErrorSpec("report.duplicate", Conflict, 409, "You have already reported this."),
    ErrorSpec("report.bad_state", Conflict, 409, "This report is already {state}."),
    ErrorSpec("report.not_reportable", InvalidRequest, 400, "This cannot be reported: {detail}"),
    ErrorSpec("request.not_found", NotFound, 404, "No such resource: {path}"),
    ErrorSpec("request.method_not_allowed", InvalidRequest, 405, "Method not allowed here."),
    ErrorSpec("request.host_not_allowed", InvalidRequest, 400, "This server does not answer for that host name."),
    ErrorSpec("rate.limited", RateLimited, 429, "Too many requests; retry in {retry_after_secs} s."),
    ErrorSpec("backend.unavailable", Unavailable, 503, "A storage backend is unavailable."),
    ErrorSpec("demo.no_secret", Unavailable, 501,
              "The demo signs its tokens with this server's HS256 secret; this server only verifies a "
              "portal's public keys. Use the portal's own tokens instead."),
    ErrorSpec("internal.error", InternalError, 500, "Internal error."),
]

# ---- a person's export and erasure ------------------------------------------------------
_SPECS += [
    ErrorSpec("erasure.not_confirmed", Conflict, 409,
              "This confirmation does not match an erasure you asked for; ask for the erasure again."),
    ErrorSpec("erasure.expired", Conflict, 409, "This confirmation expired at {expires_at}; ask for the erasure again."),
]

# ---- sessions: token lifetime, revocation, connections per person -------------------------
_SPECS += [
    ErrorSpec("auth.revoked", Unauthenticated, 401, "This session was ended by the portal; sign in again."),
    ErrorSpec("auth.keys_unavailable", Unauthenticated, 503,
              "The portal's signing keys cannot be read now; try again later."),
    ErrorSpec("auth.too_many_connections", Unauthenticated, 429,
              "You have {limit} connections open, the most one person may have; close one first."),
    ErrorSpec("auth.admin_required", Unauthenticated, 401, "This needs the server's administration token."),
]

SPECS: dict[str, ErrorSpec] = {spec.code: spec for spec in _SPECS}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(code: str, data: dict[str, Any], lang: str | None) -> str:
    """The message for ``code`` in ``lang`` (English when unsupported or not translated)."""
    return translate(lang, code, SPECS[code].message).format_map(_Blank(data))
