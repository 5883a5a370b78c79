"""Stage probe for the Twinspace server under test, loaded only when ``bench/stage_costs.py`` puts
this folder on its PYTHONPATH; the server's code is unchanged.

- ``BENCH_STAGES=FILE``: once a second, one JSON line in ``FILE.<pid>``: the wall time, the process's
  CPU seconds, and for each stage of a chat send (a function of the server's, named in ``STAGES``)
  the calls so far and the CPU nanoseconds of the thread that ran them (``time.thread_time_ns``),
  inclusive. An async stage counts the CPU of its own steps only, not the time it waits.
"""

import functools
import importlib
import importlib.abc
import importlib.util
import json
import os
import sys
import threading
import time
import types

# (module, owner in it or "", function, stage name)
STAGES = [
    ("server.realtime.wsframes", "", "receive", "receive: a chunk of frames (wsframes)"),
    ("uvicorn.protocols.websockets.websockets_sansio_impl", "WebSocketsSansIOProtocol", "data_received",
     "receive: a chunk through websockets' parser"),
    ("server.realtime.direct", "", "take_event", "receive: take_event (decode, start the handler)"),
    ("server.realtime.frames", "ProtocolPacket", "decode", "receive: Socket.IO packet decode"),
    ("server.realtime.direct", "", "_handle_and_answer", "handler and its ack"),
    ("socketio.async_server", "AsyncServer", "_send_packet", "ack through python-socketio"),
    ("server.wire", "", "parse", "payload validation"),
    ("rooms.chat", "ChatService", "post", "chat.post (domain, store read, append)"),
    ("rooms.projects", "ProjectService", "get_space", "room access (store read, policy)"),
    ("storage.documents.sqlite_projects", "ProjectTables", "get_space_access", "store: the room access read"),
    ("rooms.chat", "", "screen", "word filter"),
    ("rooms.chat", "", "admit_send", "safeguarding: mutes, hours, slow mode"),
    ("storage.documents.sqlite_chat", "ChatTables", "_commit_waiting", "store: commit of waiting sends (loop)"),
    ("storage.documents.sqlite_chat", "", "_append", "store: a send's statements"),
    ("storage.documents.sqlite_search", "", "_index_backlog", "store: search backlog batch (thread)"),
    ("storage.documents.sqlite_writer", "", "_checkpoint", "store: checkpoint (thread)"),
    ("server.realtime.fanout", "Fanout", "_send_waiting", "pushes after the answer"),
    ("server.realtime.fanout", "Fanout", "_flush_seen", "seen counts: a room's batch (read, compare, push)"),
    ("server.realtime.direct", "", "write_each", "pushes: frames written to a room"),
    ("server.realtime.direct", "", "write", "one frame written to one connection (acks)"),
    ("server.wire", "", "jsonable", "models dumped for the wire"),
    ("server.realtime.fanout", "", "jsonable", "models dumped for the wire"),
]

if os.environ.get("BENCH_STAGES"):
    _calls: dict[str, int] = {}
    _ns: dict[str, int] = {}
    _clock = time.thread_time_ns

    @types.coroutine
    def _pass(value):
        return (yield value)

    def _timed(function, name):
        _calls.setdefault(name, 0)
        _ns.setdefault(name, 0)
        if getattr(function, "__code__", None) is not None and function.__code__.co_flags & 0x80:  # coroutine

            @functools.wraps(function)
            async def stage(*args, **kwargs):
                coro, value, error = function(*args, **kwargs), None, None
                try:
                    while True:
                        started = _clock()
                        try:
                            step = coro.throw(error) if error is not None else coro.send(value)
                        except StopIteration as done:
                            return done.value
                        finally:
                            _ns[name] += _clock() - started
                        try:
                            value, error = await _pass(step), None
                        except BaseException as exc:  # noqa: BLE001 - handed to the coroutine, as await would
                            value, error = None, exc
                finally:
                    _calls[name] += 1

            return stage

        @functools.wraps(function)
        def stage(*args, **kwargs):
            started = _clock()
            try:
                return function(*args, **kwargs)
            finally:
                _ns[name] += _clock() - started
                _calls[name] += 1

        return stage

    def _install() -> None:
        for module_name, owner_name, attribute, name in STAGES:
            try:
                module = importlib.import_module(module_name)
                owner = getattr(module, owner_name) if owner_name else module
                setattr(owner, attribute, _timed(getattr(owner, attribute), name))
            except (ImportError, AttributeError) as exc:
                print(f"stage probe: {name} not timed: {exc}", file=sys.stderr)

        def report() -> None:
            path = f"{os.environ['BENCH_STAGES']}.{os.getpid()}"
            with open(path, "a", buffering=1) as out:
                while True:
                    time.sleep(1)
                    out.write(json.dumps({"t": time.time(), "cpu": time.process_time(),
                                          "calls": dict(_calls), "ns": dict(_ns)}) + "\n")

        threading.Thread(target=report, name="stage-probe", daemon=True).start()

    class _AfterServerApp(importlib.abc.MetaPathFinder):
        """Install once the server's app module has run (its imports are the stages' modules)."""

        def find_spec(self, name, path, target=None):
            if name != "server.cli":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                _install()

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _AfterServerApp())
