"""Deliveries through server/realtime/managers.py on a live server: order, idle and silent connections, cost.

The server is python-socketio's ``AsyncServer`` with Twinspace's client
manager and connection writers, on a real uvicorn in a thread with an event
loop of its own (so that its tasks can be counted apart from the clients'),
with ping times short enough to be waited past (whole seconds: the handshake
gives them in whole seconds' worth of milliseconds). The clients are
python-socketio's ``AsyncClient`` on WebSocket and on long-polling, and a
bare WebSocket speaking Engine.IO by hand for the client that goes silent.
"""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any, TypeVar

import aiohttp
import pytest
import socketio
import uvicorn
import websockets
from engineio import packet as eio_packet
from engineio import payload

from server.realtime import direct, managers, wsframes
from tests.support.server import free_port

# python-engineio's long-polling client, disconnecting, leaves the long-poll it was waiting on to
# the collector, which aiohttp reports; the clients' sessions are closed and collected in the test.
pytestmark = pytest.mark.filterwarnings("ignore:Unclosed connection:ResourceWarning")
T = TypeVar("T")
WAIT_SECS = 10  # the longest any step here may wait
ROOM = "room:r1"
TRANSPORTS = ("websocket", "polling")


class LiveServer:
    """python-socketio on uvicorn, in a thread; counts the tasks its event loop creates."""

    def __init__(self, ping_interval_secs: float, ping_timeout_secs: float) -> None:
        managers.install_writer_wait()  # as server.app.create_app does
        managers.install_timer_pings()
        self.sio = socketio.AsyncServer(async_mode="asgi", client_manager=managers.DirectEmitManager(),
                                        ping_interval=ping_interval_secs, ping_timeout=ping_timeout_secs,
                                        logger=False, engineio_logger=False)
        self.disconnected: list[tuple[str, str]] = []  # (sid, reason)
        self.gone = asyncio.Event()  # set, on the test's loop, at each disconnect
        self.tasks: list[str] = []  # the coroutine of every task created on the server's loop
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

        @self.sio.on("connect")
        async def connect(sid: str, environ: Any, auth: Any) -> None:
            if isinstance(auth, dict) and auth.get("room"):
                await self.sio.enter_room(sid, auth["room"])

        @self.sio.on("disconnect")
        async def disconnect(sid: str, reason: str) -> None:
            self.disconnected.append((sid, reason))
            self._test_loop.call_soon_threadsafe(self.gone.set)

    def start(self) -> LiveServer:
        self._test_loop = asyncio.get_running_loop()
        self.loop = asyncio.new_event_loop()
        self.loop.set_task_factory(self._counting_factory)
        self.thread = threading.Thread(target=self.loop.run_forever, name="live-server", daemon=True)
        self.thread.start()
        config = uvicorn.Config(socketio.ASGIApp(self.sio), host="127.0.0.1", port=self.port, lifespan="off",
                                log_level="warning", log_config=None)
        self.uvicorn = uvicorn.Server(config)
        self.serving = asyncio.run_coroutine_threadsafe(self.uvicorn.serve(), self.loop)
        return self

    async def ready(self) -> None:
        async with asyncio.timeout(WAIT_SECS):
            while not self.uvicorn.started:
                if self.serving.done():
                    self.serving.result()  # raises what stopped it
                await asyncio.sleep(0.02)

    def _counting_factory(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        self.tasks.append(getattr(coro, "__qualname__", type(coro).__name__))
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop and wait for its result."""
        return await asyncio.wait_for(asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop)),
                                      WAIT_SECS)

    async def stop(self) -> None:
        self.uvicorn.should_exit = True
        await asyncio.wait_for(asyncio.wrap_future(self.serving), WAIT_SECS)
        await self.run(_cancel_the_rest())  # python-engineio's ping tasks, still asleep
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(WAIT_SECS)
        self.loop.close()


async def _cancel_the_rest() -> None:
    rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


@pytest.fixture
async def live() -> AsyncIterator[Callable[..., Coroutine[Any, Any, LiveServer]]]:
    """Start live servers (``await live(ping_interval_secs=…, ping_timeout_secs=…)``), stopped at the end."""
    started: list[LiveServer] = []

    async def start(ping_interval_secs: float = 1, ping_timeout_secs: float = 1) -> LiveServer:
        server = LiveServer(ping_interval_secs, ping_timeout_secs).start()
        started.append(server)
        await server.ready()
        return server

    yield start
    for server in started:
        await server.stop()


class Client:
    """A python-socketio client recording, in arrival order, every ``n`` push it gets."""

    def __init__(self) -> None:
        # A session of its own, closed after the client: a long-poll still waiting is then dropped
        # with it, not left to the collector.
        self.http = aiohttp.ClientSession()
        self.sio = socketio.AsyncClient(reconnection=False, http_session=self.http)
        self.got: list[Any] = []
        self.arrived = asyncio.Event()
        self.sio.on("n", handler=self._record)

    async def _record(self, *args: Any) -> None:
        self.got.append(args[0] if len(args) == 1 else list(args))
        self.arrived.set()

    async def connect(self, server: LiveServer, transport: str, room: str | None = ROOM) -> Client:
        await self.sio.connect(server.url, auth={"room": room} if room else {}, transports=[transport],
                               wait_timeout=WAIT_SECS)
        return self

    @property
    def sid(self) -> str:
        sid = self.sio.get_sid()
        assert sid is not None
        return sid

    async def until(self, done: Callable[[list[Any]], bool]) -> list[Any]:
        async with asyncio.timeout(WAIT_SECS):
            while not done(self.got):
                self.arrived.clear()
                await self.arrived.wait()
        return self.got


def last_is(marker: Any) -> Callable[[list[Any]], bool]:
    return lambda got: bool(got) and got[-1] == marker


async def clients(stack: AsyncExitStack, server: LiveServer, *transports: str, room: str | None = ROOM) -> list[Client]:
    made = [await Client().connect(server, transport, room) for transport in transports]
    stack.callback(gc.collect)
    for client in made:
        stack.push_async_callback(client.http.close)
        stack.push_async_callback(client.sio.disconnect)
    return made


async def test_a_room_push_reaches_each_member_in_order_and_no_one_else(live: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # A long-polling answer carries every packet waiting; python-engineio's client refuses one of
    # more than 16 (socket.io-client has no such limit). Let this one take a burst.
    monkeypatch.setattr(payload.Payload, "max_decode_packets", 1000)
    server: LiveServer = await live()
    async with AsyncExitStack() as stack:
        members = await clients(stack, server, *TRANSPORTS, *TRANSPORTS)
        skipped = members.pop()
        (outsider,) = await clients(stack, server, "websocket", room=None)

        async def fan_out() -> None:
            for i in range(300):
                await server.sio.emit("n", {"i": i, "text": "hé 🌍"}, to=ROOM, skip_sid=skipped.sid)
            await server.sio.emit("n", {"blob": b"\x00\xff" * 10}, to=ROOM, skip_sid=[skipped.sid])  # binary
            await server.sio.emit("n", ("end", 1), to=ROOM)  # a tuple: two arguments
            await server.sio.emit("n", "end", to=outsider.sid)

        await server.run(fan_out())
        expected = [{"i": i, "text": "hé 🌍"} for i in range(300)] + [{"blob": b"\x00\xff" * 10}, ["end", 1]]
        for client in members:
            assert await client.until(last_is(["end", 1])) == expected
        # A connection's pushes come in order: by the last one, the skipped pushes would be there.
        assert await skipped.until(last_is(["end", 1])) == [["end", 1]]
        assert await outsider.until(last_is("end")) == ["end"]


async def test_idle_connections_stay_past_the_ping_time_out_and_still_get_pushes(live: Any) -> None:
    server: LiveServer = await live(ping_interval_secs=1, ping_timeout_secs=1)
    async with AsyncExitStack() as stack:
        members = await clients(stack, server, *TRANSPORTS)
        await asyncio.sleep(4.5)  # idle: more than twice the writer's longest wait (interval + time-out)
        assert all(c.sio.connected for c in members) and server.disconnected == []
        await server.run(server.sio.emit("n", "after the wait", to=ROOM))
        for client in members:
            assert await client.until(last_is("after the wait")) == ["after the wait"]
        assert server.disconnected == []


async def test_pings_on_websocket_are_written_directly_with_no_task_each(live: Any) -> None:
    server: LiveServer = await live(ping_interval_secs=1, ping_timeout_secs=1)
    async with AsyncExitStack() as stack:
        members = await clients(stack, server, *(["websocket"] * 5), "polling")
        before, tasks_before = direct.counts.pings, len(server.tasks)
        await asyncio.sleep(2.5)  # two pings each, answered
        assert all(c.sio.connected for c in members) and server.disconnected == []
        assert direct.counts.pings - before >= 5  # each WebSocket's at least once
        assert not [name for name in server.tasks[tasks_before:] if "ping" in name]
        await server.run(server.sio.emit("n", "after the pings", to=ROOM))
        for client in members:  # the long-polling one was pinged the stack's way
            assert await client.until(last_is("after the pings")) == ["after the pings"]


async def test_a_client_that_stops_answering_pings_is_dropped(live: Any) -> None:
    server: LiveServer = await live(ping_interval_secs=1, ping_timeout_secs=1)
    url = f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(url) as ws:
        opened = json.loads(str(await asyncio.wait_for(ws.recv(), WAIT_SECS))[1:])  # "0{...}"
        await ws.send("40")  # join the default namespace, then never answer a ping
        assert str(await asyncio.wait_for(ws.recv(), WAIT_SECS)).startswith("40")
        await asyncio.wait_for(server.gone.wait(), WAIT_SECS)
        assert [reason for _, reason in server.disconnected] in ([server.sio.reason.PING_TIMEOUT],
                                                                 [server.sio.reason.TRANSPORT_CLOSE])
        # The connection's writer is told it ends, stops and closes the WebSocket.
        with pytest.raises(websockets.ConnectionClosed):
            async with asyncio.timeout(WAIT_SECS):
                while True:
                    assert await ws.recv() in ("2", "1")  # pings, then maybe a close packet
    assert (opened["pingInterval"], opened["pingTimeout"]) == (1000, 1000)


async def test_a_room_push_makes_no_task_per_delivery(live: Any) -> None:
    server: LiveServer = await live(ping_interval_secs=10, ping_timeout_secs=10)  # no ping meanwhile
    pushes = 50
    async with AsyncExitStack() as stack:
        members = await clients(stack, server, *(["websocket"] * 20))

        async def push(i: int) -> None:
            await server.sio.emit("n", i, to=ROOM)

        before = len(server.tasks)
        for i in range(pushes):  # one at a time, as chat messages come: each wakes every writer
            await server.run(push(i))
            for client in members:
                await client.until(lambda got: len(got) == i + 1)
        made = [name for name in server.tasks[before:] if name != push.__qualname__]
        assert all(client.got == list(range(pushes)) for client in members)
    deliveries = pushes * len(members)
    # python-socketio's own emit makes a task per delivery, and python-engineio's writer one more
    # per wait on Python 3.11: 2,000 here.
    assert len(made) < deliveries / 20, sorted(set(made))


async def raw_member(server: LiveServer, stack: AsyncExitStack, **options: Any) -> Any:
    """A bare WebSocket speaking Engine.IO by hand, in the room; ``options`` go to ``websockets.connect``."""
    url = f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket"
    ws = await stack.enter_async_context(websockets.connect(url, max_size=None, **options))
    assert str(await asyncio.wait_for(ws.recv(), WAIT_SECS)).startswith("0{")
    await ws.send("40" + json.dumps({"room": ROOM}))
    assert str(await asyncio.wait_for(ws.recv(), WAIT_SECS)).startswith("40")
    return ws


async def frames_of(ws: Any, prefix: str, count: int) -> list[str]:
    """The next ``count`` frames starting with ``prefix`` a bare WebSocket gets, less it, answering pings."""
    got: list[str] = []
    async with asyncio.timeout(WAIT_SECS):
        while len(got) < count:
            frame = str(await ws.recv())
            if frame == "2":
                await ws.send("3")
            elif frame.startswith(prefix):
                got.append(frame[len(prefix):])
    return got


async def pushes_of(ws: Any, count: int) -> list[Any]:
    """The next ``count`` ``n`` pushes a bare WebSocket gets."""
    got: list[Any] = []
    for frame in await frames_of(ws, "42", count):
        name, value = json.loads(frame)
        assert name == "n"
        got.append(value)
    return got


async def test_websocket_members_get_the_bytes_directly_in_order_with_queued_packets_between(live: Any) -> None:
    server: LiveServer = await live(ping_interval_secs=10, ping_timeout_secs=10)
    async with AsyncExitStack() as stack:
        ws_members = await clients(stack, server, "websocket", "websocket")
        eio_sid = server.sio.manager.eio_sid_from_sid(ws_members[0].sid, "/")
        written, queued = direct.counts.written, direct.counts.queued

        async def fan_out() -> None:
            for i in range(100):
                await server.sio.emit("n", {"i": i, "text": "é" * (i * 7)}, to=ROOM)  # frames of 1 to 3 length bytes
                if i % 3 == 0:
                    # A packet for one connection through python-engineio's queue: the room's next push
                    # must not overtake it.
                    queued_packet = eio_packet.Packet(eio_packet.MESSAGE, '2["n",' + json.dumps({"queued": i}) + "]")
                    await server.sio.eio.sockets[eio_sid].send(queued_packet)

        await server.run(fan_out())
        room = [{"i": i, "text": "é" * (i * 7)} for i in range(100)]
        with_queued = [x for i, push in enumerate(room) for x in ([push, {"queued": i}] if i % 3 == 0 else [push])]
        assert await ws_members[0].until(lambda got: len(got) == len(with_queued)) == with_queued
        assert await ws_members[1].until(lambda got: len(got) == 100) == room
    # The second member's pushes were written directly; the first member's, from its first queued
    # packet on, waited behind it in the queue (the loop did not run its writer meanwhile).
    assert direct.counts.written - written >= 101
    assert direct.counts.queued - queued >= 99 - 1


async def test_a_reader_too_slow_for_its_buffer_gets_every_push_in_order(live: Any) -> None:
    server: LiveServer = await live(ping_interval_secs=10, ping_timeout_secs=10)
    async with AsyncExitStack() as stack:
        slow = await raw_member(server, stack, compression=None)
        queued = direct.counts.queued
        pushes = [{"i": i, "blob": "x" * 50_000} for i in range(200)]  # 10 MB: far past the write buffer's limit

        async def fan_out() -> None:
            for push in pushes:
                await server.sio.emit("n", push, to=ROOM)

        await server.run(fan_out())
        assert direct.counts.queued > queued  # the writer was paused: the rest waited in the queue
        assert await pushes_of(slow, len(pushes)) == pushes


async def test_a_compressed_websocket_gets_its_pushes_compressed_by_the_stack(live: Any) -> None:
    server: LiveServer = await live(ping_interval_secs=10, ping_timeout_secs=10)  # uvicorn's deflate on
    async with AsyncExitStack() as stack:
        deflated = await raw_member(server, stack, compression="deflate")
        plain = await raw_member(server, stack, compression=None)
        assert deflated.protocol.extensions and not plain.protocol.extensions
        written, queued = direct.counts.written, direct.counts.queued
        await server.run(server.sio.emit("n", "hello " * 100, to=ROOM))
        assert await pushes_of(deflated, 1) == ["hello " * 100]
        assert await pushes_of(plain, 1) == ["hello " * 100]
        assert (direct.counts.written - written, direct.counts.queued - queued) == (1, 1)


async def acks_of(ws: Any, count: int) -> dict[int, Any]:
    """The next ``count`` acks a bare WebSocket gets: ack id -> the answer."""
    got: dict[int, Any] = {}
    for frame in await frames_of(ws, "43", count):
        head, _, body = frame.partition("[")
        got[int(head)] = json.loads("[" + body)
    return got


@pytest.mark.parametrize("slow", [False, True])
async def test_websocket_events_are_taken_as_they_arrive_in_order_one_task_each(live: Any, slow: bool) -> None:
    server: LiveServer = await live(ping_interval_secs=10, ping_timeout_secs=10)
    started: list[int] = []

    @server.sio.on("echo")
    async def echo(sid: str, value: int) -> dict[str, int]:
        started.append(value)
        if slow:  # more of one connection's events at once than are taken: the rest queue behind them
            await asyncio.sleep(0.01)
        return {"echo": value}

    burst, paced = 300, 50
    async with AsyncExitStack() as stack:
        url = f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket"
        ws = await stack.enter_async_context(websockets.connect(url, max_size=None, compression=None))
        assert str(await asyncio.wait_for(ws.recv(), WAIT_SECS)).startswith("0{")
        # The connect and a burst of events at once, not waiting for the connect's answer: no event
        # may overtake the connect, nor another event (those behind a queued one take the reader's way).
        await ws.send("40")
        for i in range(burst):
            await ws.send(f'42{i}["echo",{i}]')
        assert str(await asyncio.wait_for(ws.recv(), WAIT_SECS)).startswith("40")
        assert await acks_of(ws, burst) == {i: [{"echo": i}] for i in range(burst)}
        # A frame that does not decode (this server has python-socketio's own serializer, which raises)
        # is logged, as python-engineio's reader does, and the connection goes on.
        await ws.send('42["echo",')
        # Then one at a time, as a pupil sends: each is taken as it arrives, with no task but its handler's.
        taken, answered, before = direct.counts.taken, direct.counts.answered, len(server.tasks)
        for i in range(burst, burst + paced):
            await ws.send(f'42{i}["echo",{i}]')
            assert await acks_of(ws, 1) == {i: [{"echo": i}]}
        made = [name for name in server.tasks[before:] if "_handle_then_tell" not in name]  # the handler, then its pushes
    assert started == list(range(burst + paced))
    assert direct.counts.taken - taken == paced
    assert direct.counts.answered - answered == paced  # each ack's frame written with no packet made
    assert made == []  # the reader's way costs a task per event besides the handler's (python-engineio's wait)


def client_frame(payload: bytes, opcode: int = 0x1, fin: bool = True, mask: bytes = b"\x5a\x17\xc3\x08") -> bytes:
    """A WebSocket frame as a client sends it (masked), made by hand."""
    size = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if size < 126:
        head += bytes([0x80 | size])
    elif size < 1 << 16:
        head += bytes([0x80 | 126]) + size.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + size.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def event_frame(i: int, padding: int = 0) -> bytes:
    return client_frame(f'42{i}["echo",{i},"{"x" * padding}"]'.encode())


async def test_text_frames_are_read_from_the_bytes_in_any_mix_with_what_the_parser_reads(live: Any) -> None:
    server: LiveServer = await live(ping_interval_secs=10, ping_timeout_secs=10)

    @server.sio.on("echo")
    async def echo(sid: str, value: int, padding: str) -> dict[str, int]:
        return {"echo": value}

    async with AsyncExitStack() as stack:
        url = f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket"
        ws = await stack.enter_async_context(websockets.connect(url, max_size=None, compression=None))
        assert str(await asyncio.wait_for(ws.recv(), WAIT_SECS)).startswith("0{")
        await ws.send("40")
        assert str(await asyncio.wait_for(ws.recv(), WAIT_SECS)).startswith("40")
        await ws.send('4299["echo",-1,""]')  # the connection's events are taken from here on
        assert await acks_of(ws, 1) == {99: [{"echo": -1}]}
        read, parsed = wsframes.counts.read, wsframes.counts.parsed
        write = ws.transport.write
        write(event_frame(0) + event_frame(1) + event_frame(2))  # three in one chunk
        assert await acks_of(ws, 3) == {i: [{"echo": i}] for i in range(3)}
        assert wsframes.counts.read - read == 3
        cut = event_frame(3, padding=300)  # a 16-bit length, in three chunks: the parser reads it
        for chunk in (cut[:1], cut[1:9], cut[9:]):
            write(chunk)
            await asyncio.sleep(0.05)
        assert await acks_of(ws, 1) == {3: [{"echo": 3}]}
        write(event_frame(4) + client_frame(b"hi", opcode=0x9) + event_frame(5))  # a ping between two events
        assert await acks_of(ws, 2) == {4: [{"echo": 4}], 5: [{"echo": 5}]}
        fragmented = b'426["echo",6,""]'  # a message in two fragments, between events; a 64-bit length
        write(event_frame(7) + client_frame(fragmented[:5], fin=False) + client_frame(fragmented[5:], opcode=0x0)
              + event_frame(8) + event_frame(9, padding=70_000))
        assert await acks_of(ws, 4) == {i: [{"echo": i}] for i in range(6, 10)}
        # 0, 1, 2, 4 and 7 read here (3 too if its chunks came together); the parser had the cut chunks, and
        # what came from the ping and from the fragment on
        assert wsframes.counts.read - read >= 5
        assert wsframes.counts.parsed - parsed >= 3
