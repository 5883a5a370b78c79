"""Settings: one frozen object built from flags and ``TWINSPACE_*`` variables.

Each option is declared once in ``OPTIONS``; the command line, the
environment, ``twinspace serve --help`` and ``docs/configuration.md`` all
come from that list. A flag wins over its variable, which wins over the
default. Every bad value is reported (one line each) before the process
exits with status 2. Only the entry point reads the environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import storage
from rooms import limits

LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")  # server/logs.py
FANOUT_PUBSUB_MODES = ("rooms", "sharded", "broadcast")  # server/realtime/pubsub.py
_URL_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:@/]*:)[^/]*@")  # scheme://user:PASSWORD@


class SettingsError(Exception):
    """Bad configuration; ``problems`` holds one line per bad value."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError("must be between 0 and 65535")
    return value


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be one of true/false, yes/no, on/off, 1/0")


def _scheme_url(schemes: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        parts = urlsplit(raw)
        if parts.scheme not in schemes:
            raise ValueError(f"scheme must be one of {', '.join(s + '://' for s in schemes)}")
        if parts.scheme in ("sqlite", "file"):
            storage.url_path(raw)
        elif parts.scheme in ("s3", "minio"):
            from storage.objects.s3 import (
                parse_s3_url,  # the S3 SDK loads only when configured
            )

            parse_s3_url(raw)
        elif parts.scheme in ("redis+cluster", "rediss+cluster"):
            from storage.ephemeral.redis import parse_cluster_url

            parse_cluster_url(raw)
        return raw
    return parse


def _origins(raw: str) -> tuple[str, ...]:
    items = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in items:
        if origin == "*":
            continue
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ValueError(f"{origin!r} is not an origin like https://portal.example.org")
    return items


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_HOST = re.compile(r"(\*|(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])")


def _host_name(host: str) -> str:
    """How the host appears in a Host header: IPv6 literals in brackets."""
    host = host.strip().lower()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _hosts(raw: str) -> tuple[str, ...]:
    items = tuple(_host_name(h) for h in raw.split(",") if h.strip())
    if not items:
        raise ValueError("give at least one host name, or *")
    for host in items:
        if not _HOST.fullmatch(host):
            raise ValueError(f"{host!r} is not a host name like twinspace.example.org, *.example.org or *")
    return items


def _text(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw


def _secret(raw: str) -> str:
    if len(raw.encode()) < 32:
        raise ValueError("must be at least 32 bytes (HS256 needs a key as long as its hash)")
    return raw


def _existing_file(raw: str) -> Path:
    path = Path(raw)
    if not path.is_file():
        raise ValueError(f"no such file: {raw}")
    return path


_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _jwks(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme == "https":
        return raw
    if parts.scheme == "http":
        # Keys fetched in clear can be swapped on the way: https only, but for this machine itself
        # (a portal's keys served next to the server, and tests).
        if parts.hostname in _LOOPBACK or (parts.hostname or "").startswith("127."):
            return raw
        raise ValueError("must be an https URL (plain http only to localhost) or a file")
    _existing_file(raw)
    return raw


def _positive(maximum: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if not 1 <= value <= maximum:
            raise ValueError(f"must be between 1 and {maximum}")
        return value
    return parse


def _level(raw: str) -> str:
    if raw.lower() not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
    return raw.lower()


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.strip().lower() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return raw.strip().lower()
    return parse


def _seconds(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 3600:
        raise ValueError("must be between 0 and 3600 seconds")
    return value


@dataclass(frozen=True)
class Option:
    name: str  # attribute of Settings; the flag is --name-with-dashes, the variable TWINSPACE_NAME
    parse: Callable[[str], Any]
    default: Any
    help: str
    metavar: str = "VALUE"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "TWINSPACE_" + self.name.upper()


OPTIONS: tuple[Option, ...] = (
    Option("host", _text, "127.0.0.1", "Address to listen on.", "ADDR"),
    Option("port", _port, 8000, "Port to listen on (0 picks a free one).", "PORT"),
    Option("data_dir", Path, Path("twinspace-data"),
           "Folder for everything the embedded default keeps: database, files, signing secret.", "DIR"),
    Option("documents_url", _scheme_url(storage.DOCUMENT_SCHEMES), None,
           "Document store (projects, chat, forum, mail, file records): sqlite:///PATH or "
           "mongodb://HOST:PORT/DB. Default: sqlite:///DATA_DIR/twinspace.db.", "URL"),
    Option("objects_url", _scheme_url(storage.OBJECT_SCHEMES), None,
           "Object store for file bytes: file:///PATH or s3://KEY:SECRET@HOST:PORT/BUCKET?secure=false"
           "&region=R (MinIO, AWS S3 or any S3 API). Default: file:///DATA_DIR/files.", "URL"),
    Option("fanout_url", _scheme_url(storage.FANOUT_SCHEMES), "memory://",
           "Fan-out between instances: memory:// (one process), redis://HOST:PORT/DB (many instances "
           "sharing pushes, presence and rate limits through one Redis) or "
           "redis+cluster://HOST:PORT[,HOST:PORT...] (the same through a Redis Cluster: some of its nodes "
           "as seeds, USER:PASSWORD@ before them if it asks for a login; rediss+cluster:// over TLS).", "URL"),
    Option("fanout_pubsub", _one_of(FANOUT_PUBSUB_MODES), None,
           "How instances share pushes over a Redis fan-out: rooms (each instance subscribes only to the "
           "rooms it hosts), sharded (the same over Redis 7's sharded pub/sub, SSUBSCRIBE/SPUBLISH, which a "
           "Redis Cluster spreads over its shards) or broadcast (one channel every instance hears). "
           "Default: rooms, and sharded on a Redis Cluster, which takes no other.", "MODE"),
    Option("public_url", _text, None,
           "Address clients use to reach this server. Default: http://HOST:PORT.", "URL"),
    Option("allowed_origins", _origins, None,
           "Comma-separated browser origins allowed to connect (Socket.IO and REST), or *. "
           "Default: the server's own origin and any localhost origin.", "ORIGINS"),
    Option("allowed_hosts", _hosts, None,
           "Host names this server answers for (comma-separated; *.example.org for subdomains, * for any); "
           "other Host headers get 400 request.host_not_allowed, so that no answer is built from a forged "
           "host name (/healthz, /readyz and /metrics answer any). Default: the public URL's host and the loopback "
           "names: behind a proxy or on 0.0.0.0, set --public-url or this.", "HOSTS"),
    Option("jwt_secret", _secret, None,
           "HS256 secret shared with the portal. Default: generated on first start into "
           "DATA_DIR/jwt-secret (mode 0600) unless public keys are configured.", "SECRET"),
    Option("jwt_public_key_file", _existing_file, None,
           "PEM file with the portal's RS256 or EdDSA public key(s).", "FILE"),
    Option("jwt_jwks", _jwks, None, "JWKS file path or https URL with the portal's public keys.", "FILE|URL"),
    Option("jwt_issuer", _text, "twinspace", "Required 'iss' claim.", "ISS"),
    Option("jwt_audience", _text, "twinspace", "Required 'aud' claim.", "AUD"),
    Option("jwt_leeway_secs", _seconds, 30, "Clock skew tolerated on exp/nbf, in seconds.", "SECS"),
    Option("jwt_max_lifetime_secs", _positive(30 * 86_400), 86_400,
           "Longest a token may last, in seconds (exp - iat, and exp - now): a token valid for years cannot be "
           "taken back; a day covers a school day with the SDK refreshing well before. Longer: auth.bad_claims. "
           "It is also how long a revocation is kept.", "SECS"),
    Option("admin_token", _secret, None,
           "Secret the portal sends (Authorization: Bearer) to POST /api/v1/sessions/revoke, which ends a "
           "person's sessions on every instance. Default: none, and that endpoint refuses every call.", "SECRET"),
    Option("metrics_token", _secret, None,
           "Secret a Prometheus scraper sends (Authorization: Bearer) to GET /metrics, this instance's "
           "metrics in the Prometheus text format. Default: none, and the server has no /metrics.", "SECRET"),
    Option("max_connections_per_user", _positive(10_000), 20,
           "Connections one person may have open at once, on all instances together (then "
           "auth.too_many_connections): several tabs and devices, not a flood from one token.", "N"),
    Option("connection_requests_in_flight", _positive(1_000), limits.CONNECTION_REQUESTS_IN_FLIGHT_DEFAULT,
           "Requests one Socket.IO connection may have running at once (then rate.limited at once): one client "
           "firing thousands without waiting would delay every other member's; the SDK has a few at a time.", "N"),
    Option("connection_requests_per_sec", _positive(10_000), limits.CONNECTION_REQUESTS_PER_SEC_DEFAULT,
           "Requests one Socket.IO connection may make per second, on average (then rate.limited).", "N"),
    Option("connection_requests_burst", _positive(100_000), limits.CONNECTION_REQUESTS_BURST_DEFAULT,
           "Requests one Socket.IO connection may make at once above that average: a reconnecting client's "
           "catch-up (rooms joined, history loaded).", "N"),
    Option("ws_compression", _bool, False,
           "Permessage-deflate on WebSockets. Off by default: a compressed connection gets each push compressed "
           "for it alone, through the queue, where others share one frame's bytes (2.7x the fan-out's cost).", "BOOL"),
    Option("chat_rate_messages", _positive(10_000), limits.CHAT_RATE_MESSAGES_DEFAULT,
           "Chat messages one user may send per rate window (then rate.limited).", "N"),
    Option("chat_rate_window_secs", _positive(3_600), limits.CHAT_RATE_WINDOW_SECS_DEFAULT,
           "The chat rate window, in seconds.", "SECS"),
    Option("chat_edit_rate", _positive(10_000), limits.CHAT_EDIT_RATE_DEFAULT,
           "Chat message edits one user may make per chat edit window (then rate.limited): every edit is "
           "pushed to the whole room, like a message.", "N"),
    Option("chat_edit_rate_window_secs", _positive(3_600), limits.CHAT_EDIT_RATE_WINDOW_SECS_DEFAULT,
           "The chat edit rate window, in seconds.", "SECS"),
    Option("reaction_rate", _positive(10_000), limits.REACTION_RATE_DEFAULT,
           "Chat reactions one user may add or take back per reaction window (then rate.limited): each "
           "change of a message's counts is pushed to the whole room.", "N"),
    Option("reaction_rate_window_secs", _positive(3_600), limits.REACTION_RATE_WINDOW_SECS_DEFAULT,
           "The reaction rate window, in seconds.", "SECS"),
    Option("forum_rate_posts", _positive(10_000), limits.FORUM_RATE_POSTS_DEFAULT,
           "Forum threads, posts and edits of them one user may write per forum rate window (then "
           "rate.limited): each is pushed to everyone reading the forum.", "N"),
    Option("forum_rate_window_secs", _positive(3_600), limits.FORUM_RATE_WINDOW_SECS_DEFAULT,
           "The forum rate window, in seconds.", "SECS"),
    Option("mail_rate_messages", _positive(10_000), limits.MAIL_RATE_MESSAGES_DEFAULT,
           "Mails one user may send per mail rate window (then rate.limited).", "N"),
    Option("mail_rate_window_secs", _positive(86_400), limits.MAIL_RATE_WINDOW_SECS_DEFAULT,
           "The mail rate window, in seconds.", "SECS"),
    Option("file_max_bytes", _positive(10 * 1024**3), limits.FILE_MAX_BYTES_DEFAULT,
           "Largest file one may upload, in bytes.", "BYTES"),
    Option("project_quota_bytes", _positive(10 * 1024**4), limits.PROJECT_QUOTA_BYTES_DEFAULT,
           "Storage one project may use for its files, in bytes.", "BYTES"),
    Option("file_redirects", _bool, False,
           "Serve downloads from an S3 store by redirecting to a short-lived presigned URL. Off by "
           "default: browsers do not cache redirects.", "BOOL"),
    Option("retention_sweep_secs", _positive(86_400), 3_600,
           "How often the retention sweep runs, in seconds: it removes the chat, forum posts, mail and files "
           "past their project's retention periods, and deletes the archived projects past their grace period.",
           "SECS"),
    Option("project_deletion_grace_days", _positive(limits.PROJECT_DELETION_GRACE_DAYS_MAX),
           limits.PROJECT_DELETION_GRACE_DAYS_DEFAULT,
           "Days an archived project is kept (read-only) before it is deleted entirely, documents and files, "
           "but for its audit trail; a support officer may hold a project to keep it longer.", "DAYS"),
    Option("report_rate", _positive(1_000), limits.REPORT_RATE_DEFAULT,
           "Reports one person may make per report rate window (then rate.limited).", "N"),
    Option("report_rate_window_secs", _positive(86_400), limits.REPORT_RATE_WINDOW_SECS_DEFAULT,
           "The report rate window, in seconds.", "SECS"),
    Option("report_escalate_after_secs", _positive(30 * 86_400), limits.REPORT_ESCALATE_AFTER_SECS_DEFAULT,
           "An open report nobody handled for this long goes to the support officers, in seconds "
           "(a report marked serious goes at once).", "SECS"),
    Option("report_escalate_sweep_secs", _positive(86_400), 60,
           "How often reports left open too long are looked for, in seconds.", "SECS"),
    Option("shutdown_drain_secs", _positive(300), 10,
           "On SIGTERM or SIGINT, how long the server, no longer accepting connections, waits for the events "
           "being handled to be answered before it closes every connection (clients then reconnect to another "
           "instance at once), in seconds: a send stored during a stop is acknowledged, not only retried.",
           "SECS"),
    Option("smtp_url", _scheme_url(("smtp", "smtps")), None,
           "Mail server for e-mail notices to teachers who are away when a report comes in: "
           "smtp://USER:PASSWORD@HOST:PORT (STARTTLS when offered) or smtps://... (TLS). "
           "Default: no e-mail notices.", "URL"),
    Option("mail_from", _text, "Twinspace <no-reply@twinspace.invalid>",
           "The From address of e-mail notices.", "ADDRESS"),
    Option("demo", _bool, False,
           "Serve the demo portal page at /demo, which hands out tokens for the demo project's people "
           "to anyone who can reach the server. Off by default: never turn it on in production.", "BOOL"),
    Option("log_level", _level, "info", "Log level: " + ", ".join(LOG_LEVELS) + ".", "LEVEL"),
    Option("log_format", _one_of(LOG_FORMATS), "text",
           "Log lines on stderr: text (for people at a terminal) or json (one object per line, for a log "
           "pipeline: time, level, instance, event or route, outcome, duration, request id; see "
           "docs/operations.md).", "FORMAT"),
)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every setting, each with the value ``load`` gave it; the defaults live in ``OPTIONS`` alone."""

    host: str
    port: int
    data_dir: Path
    documents_url: str
    objects_url: str
    fanout_url: str
    fanout_pubsub: str
    public_url: str
    allowed_origins: tuple[str, ...] | None
    allowed_hosts: tuple[str, ...]
    jwt_secret: str | None = field(repr=False)
    jwt_public_key_file: Path | None
    jwt_jwks: str | None
    jwt_issuer: str
    jwt_audience: str
    jwt_leeway_secs: int
    jwt_max_lifetime_secs: int
    admin_token: str | None = field(repr=False)
    metrics_token: str | None = field(repr=False)
    max_connections_per_user: int
    connection_requests_in_flight: int
    connection_requests_per_sec: int
    connection_requests_burst: int
    ws_compression: bool
    chat_rate_messages: int
    chat_rate_window_secs: int
    chat_edit_rate: int
    chat_edit_rate_window_secs: int
    reaction_rate: int
    reaction_rate_window_secs: int
    forum_rate_posts: int
    forum_rate_window_secs: int
    mail_rate_messages: int
    mail_rate_window_secs: int
    file_max_bytes: int
    project_quota_bytes: int
    file_redirects: bool
    retention_sweep_secs: int
    project_deletion_grace_days: int
    report_rate: int
    report_rate_window_secs: int
    report_escalate_after_secs: int
    report_escalate_sweep_secs: int
    shutdown_drain_secs: int
    smtp_url: str | None = field(repr=False)
    mail_from: str
    demo: bool
    log_level: str
    log_format: str

    @property
    def uses_public_keys(self) -> bool:
        return self.jwt_public_key_file is not None or self.jwt_jwks is not None


def load(flags: Mapping[str, str | None], environ: Mapping[str, str]) -> Settings:
    """Build the settings from flag values (``None`` = not given) and the environment."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for option in OPTIONS:
        raw = flags.get(option.name)
        source = option.flag
        if raw is None:
            raw = environ.get(option.env)
            source = option.env
        if raw is None:
            values[option.name] = option.default
            continue
        try:
            values[option.name] = option.parse(raw)
        except ValueError as exc:
            shown = "(hidden)" if option.name in ("jwt_secret", "admin_token", "metrics_token") else repr(_without_password(raw))
            problems.append(f"{source}={shown}: {_reason(exc)}")
    on_cluster = urlsplit(values.get("fanout_url") or "").scheme in ("redis+cluster", "rediss+cluster")
    if on_cluster and values.get("fanout_pubsub") not in (None, "sharded"):
        problems.append(f"--fanout-pubsub={values['fanout_pubsub']!r}: a Redis Cluster (--fanout-url "
                        "redis+cluster://) carries pushes by sharded pub/sub only: leave it out or say sharded")
    if problems:
        raise SettingsError(problems)
    values["fanout_pubsub"] = values["fanout_pubsub"] or ("sharded" if on_cluster else "rooms")
    data_dir: Path = values["data_dir"]
    values["documents_url"] = values["documents_url"] or f"sqlite://{(data_dir / 'twinspace.db').resolve()}"
    values["objects_url"] = values["objects_url"] or f"file://{(data_dir / 'files').resolve()}"
    host = values["host"]
    shown_host = f"[{host}]" if ":" in host else host
    values["public_url"] = (values["public_url"] or f"http://{shown_host}:{values['port']}").rstrip("/")
    own_host = _host_name(urlsplit(values["public_url"]).hostname or "")
    values["allowed_hosts"] = values["allowed_hosts"] or tuple(dict.fromkeys(
        h for h in (own_host, *LOOPBACK_HOSTS) if h))
    return Settings(**values)


def _without_password(raw: str) -> str:
    """A value as it may be shown: a URL's password (an S3 secret) becomes ***."""
    return _URL_PASSWORD.sub(r"\1***@", raw)


def _reason(exc: ValueError) -> str:
    text = str(exc)
    if text.startswith("invalid literal for int()"):
        return "must be a whole number"
    return re.sub(r"\s+", " ", text)

