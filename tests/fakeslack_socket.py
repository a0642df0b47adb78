"""A small Slack for the desk tests: the Web API methods the desk calls, and a Socket Mode WebSocket.

The real slack-sdk clients talk to it through `base_url`; tests push envelopes down the
socket as Slack would, and read back the acknowledgements and the Web API calls.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from aiohttp import WSMsgType, web


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.acks: list[str] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-slack", daemon=True)
        self.port = 0

    # -- lifecycle -----------------------------------------------------------

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake Slack did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        async def stop() -> None:
            for socket in self._sockets:
                await socket.close()
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    # -- the Web API ---------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        is_json = request.content_type == "application/json" and raw
        body = json.loads(raw) if is_json else dict(await request.post())
        self.calls.append((method, body))
        if method == "apps.connections.open":
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"})
        if method == "chat.update":
            return web.json_response({"ok": True, "channel": body.get("channel"), "ts": body.get("ts")})
        if method == "views.open":
            return web.json_response({"ok": True, "view": {"id": "V0001", **body.get("view", {})}})
        return web.json_response({"ok": False, "error": "unknown_method"})

    # -- Socket Mode ---------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                envelope_id = json.loads(message.data).get("envelope_id")
                if envelope_id:
                    self.acks.append(envelope_id)
        return socket

    def wait_for_socket(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not self._sockets:
            if time.monotonic() > deadline:
                raise TimeoutError("no Socket Mode connection")
            time.sleep(0.01)

    def push(self, envelope: dict[str, Any]) -> None:
        """Send an envelope down every open socket, as Slack does (and does again on a retry)."""
        data = json.dumps(envelope)

        async def send() -> None:
            for socket in self._sockets:
                if not socket.closed:
                    await socket.send_str(data)

        asyncio.run_coroutine_threadsafe(send(), self._loop).result(10)

    def wait(self, condition: Any, timeout: float = 10) -> None:
        """Wait until condition() holds: the listener works in its own threads."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the fake Slack did not see what the test waited for")
            time.sleep(0.01)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [body for name, body in self.calls if name == method]
