"""The ``twinspace`` command: ``serve``, ``token``, ``seed-demo`` and ``reindex``.

This is the only place that reads the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from rooms.errors import TwinspaceError
from rooms.models import PLATFORM_ROLES
from server import logs
from server import settings as config

EXIT_CONFIG = 2  # like argparse's usage errors
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # Ctrl+C, and what supervisors send: both stop gracefully


def _add_setting_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("settings (each also read from its TWINSPACE_* variable)")
    for option in config.OPTIONS:
        default = "" if option.default is None else f" [default: {option.default}]"
        group.add_argument(option.flag, dest=option.name, default=None, metavar=option.metavar,
                           help=f"{option.help}{default} (env {option.env})")


def _ttl(raw: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhd])", raw.strip())
    if not match:
        raise argparse.ArgumentTypeError("use a number and a unit: 90s, 30m, 1h, 7d")
    amount, unit = int(match[1]), match[2]
    return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: amount})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="twinspace", description="Twinspace: real-time messaging "
                                     "for school collaboration projects.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server", description="Run the server. With no settings it "
                           "stores everything under ./twinspace-data and needs no other service.")
    _add_setting_flags(serve)

    token = sub.add_parser("token", help="print a development token signed with the HS256 secret")
    token.add_argument("--user", required=True, help="user id (the token's sub)")
    token.add_argument("--name", required=True, help="display name")
    token.add_argument("--role", required=True, choices=PLATFORM_ROLES, help="platform role")
    token.add_argument("--school", default="", help="school name")
    token.add_argument("--country", default=None, help="two-letter country code, e.g. FR")
    token.add_argument("--lang", default="en", help="preferred language, e.g. fr")
    token.add_argument("--ttl", type=_ttl, default=timedelta(hours=1),
                       help="lifetime, e.g. 30m, 1h, 12h; at most --jwt-max-lifetime-secs (a day by default)")
    _add_setting_flags(token)

    seed = sub.add_parser("seed-demo", help="create (or reuse) a demo project and print its users' tokens")
    seed.add_argument("--json", action="store_true", help="print JSON only")
    _add_setting_flags(seed)

    reindex = sub.add_parser("reindex", help="rebuild the search index from the stored documents",
                             description="Empty the search index and index every message, thread, post, "
                             "mail and file again, printing progress to stderr. It opens the store the "
                             "settings name, as serve does; it may run while the server serves.")
    _add_setting_flags(reindex)
    return parser


def _settings(args: argparse.Namespace) -> config.Settings:
    flags = {o.name: getattr(args, o.name, None) for o in config.OPTIONS}
    try:
        return config.load(flags, os.environ)
    except config.SettingsError as exc:
        for line in exc.problems:
            print(f"twinspace: bad setting {line}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)


def _secret(settings: config.Settings) -> str | None:
    from server.auth import ensure_secret

    try:
        return ensure_secret(settings)
    except OSError as exc:
        print(f"twinspace: cannot read or create the signing secret in {settings.data_dir}: {exc}",
              file=sys.stderr)
        sys.exit(EXIT_CONFIG)


def serve(settings: config.Settings) -> None:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, exiting with status 0 after a clean shutdown on SIGINT or SIGTERM.

        uvicorn's own ``capture_signals`` re-raises the signal once shut down, which makes
        supervisors and shells report a crash; a completed graceful stop is a success. This one
        routes the signals to the public ``handle_exit`` (the first stops gracefully, a second
        SIGINT forces the stop) and puts the previous handlers back afterwards, re-raising
        nothing. uvicorn's ``serve`` enters ``capture_signals`` around the whole run;
        ``tests/integration/test_lifecycle.py`` checks the exit status.
        """

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            """Stop accepting, let the app answer what it is handling and close its sockets, then uvicorn's own.

            uvicorn's ``shutdown`` would close the WebSockets at once, dropping the answers of the
            events in flight; closing the listening sockets first is what it does too (twice is harmless).
            """
            for listening in self.servers:
                listening.close()
            for sock in sockets or []:
                sock.close()
            await app.drain()
            await super().shutdown(sockets)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():  # Python signals the main thread only
                yield
                return
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    from server import gc_tuning
    from server.app import TRANSPORT_MAX_BYTES, create_app

    secret = _secret(settings)
    try:
        app = create_app(settings, secret)
    except (ValueError, OSError) as exc:  # unreadable key files, bad JWKS
        print(f"twinspace: bad setting: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    server = Server(uvicorn.Config(
        app, host=settings.host, port=settings.port, lifespan="on",
        ws_per_message_deflate=settings.ws_compression,
        ws_max_size=TRANSPORT_MAX_BYTES,  # a larger frame is refused from its header (server/app.py)
        # Engine.IO's own PING/PONG (server/app.py) already finds a dead connection; a WebSocket ping
        # of uvicorn's beside it would double what every idle connection costs (docs/performance.md)
        ws_ping_interval=None,
        # log_config=None: uvicorn's loggers reach the one handler of server/logs.py, in its format
        log_level=settings.log_level, log_config=None, access_log=settings.log_level == "debug",
        timeout_graceful_shutdown=5,  # seconds for open WebSockets to close before exit
    ))
    gc_tuning.tune()
    server.run()
    if not server.started:
        sys.exit(1)


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = _settings(args)
    logs.configure(settings.log_level, settings.log_format)
    if args.command == "serve":
        serve(settings)
    elif args.command == "token":
        from server.auth import mint

        secret = _secret(settings)
        if secret is None:
            print("twinspace: tokens can only be made with the HS256 secret; this server uses the "
                  "portal's public keys", file=sys.stderr)
            sys.exit(EXIT_CONFIG)
        if args.ttl.total_seconds() > settings.jwt_max_lifetime_secs:
            print(f"twinspace: --ttl is longer than --jwt-max-lifetime-secs ({settings.jwt_max_lifetime_secs} s): "
                  "this server would refuse the token", file=sys.stderr)
            sys.exit(EXIT_CONFIG)
        print(mint(secret, settings, user_id=args.user, name=args.name, role=args.role, school=args.school,
                   country=args.country.upper() if args.country else None, lang=args.lang, ttl=args.ttl))
    elif args.command == "seed-demo":
        from server.seed import seed

        secret = _secret(settings)
        if secret is None:
            print("twinspace: seed-demo signs tokens with the HS256 secret; none is configured",
                  file=sys.stderr)
            sys.exit(EXIT_CONFIG)
        try:
            result = asyncio.run(seed(settings, secret))
        except TwinspaceError as exc:
            print(f"twinspace: seed-demo failed: {exc.code} {exc.data}", file=sys.stderr)
            sys.exit(1)
        _print_seed(result, as_json=args.json)
    elif args.command == "reindex":
        _reindex(settings)


def _reindex(settings: config.Settings) -> None:
    import storage
    from server.reindex import rebuild

    async def run() -> None:
        async with storage.open_documents(settings.documents_url) as documents:
            await rebuild(documents, sys.stderr)

    try:
        asyncio.run(run())
    except TwinspaceError as exc:
        print(f"twinspace: reindex failed: {exc.code} {exc.data}", file=sys.stderr)
        sys.exit(1)
    except ValueError as exc:  # an unsupported store URL
        print(f"twinspace: bad setting: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)


def _print_seed(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=2))
        return
    print(f"Demo project {result['project_id']} on {result['url']}")
    print(f"  rooms: general={result['rooms']['general']} staff={result['rooms']['staff']}"
          f"  forum={result['forum_id']}")
    for key, user in result["users"].items():
        print(f"  {key:<15} {user['role']:<8} token: {user['token']}")
    print("Connect with Socket.IO and auth: {token}, or call the REST API with 'Authorization: Bearer TOKEN'.")


if __name__ == "__main__":
    main()
