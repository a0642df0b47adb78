"""A small fake of the Slack Web API on 127.0.0.1, driven by the real slack-sdk client through `base_url`.

It records every request, keeps posted messages per channel (with their
metadata, so conversations.history can be searched like Slack's), and can be
told to answer 429 with Retry-After, to answer 500 (down), or to hold a
chat.postMessage response after the message is stored (to kill the caller there).
chat.update replaces a stored message's text and blocks, as Slack does.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Failure:
    method: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    error: str = "internal_error"


class FakeSlack:
    def __init__(self, channels: list[str]) -> None:
        self.channel_ids = {name.lstrip("#"): f"C{index:06d}" for index, name in enumerate(channels, start=1)}
        self.messages: dict[str, list[dict[str, Any]]] = {cid: [] for cid in self.channel_ids.values()}
        self.requests: list[tuple[str, dict[str, Any], bytes]] = []
        self.failures: list[Failure] = []
        self.down = False
        self.hold_posts = False
        self.posted = threading.Event()  # set when a held post has been stored
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._clock = time.time()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._serve(self.rfile.read(length))

            def _serve(self, body: bytes) -> None:
                parts = urlsplit(self.path)
                method = parts.path.rsplit("/", 1)[-1]
                args: dict[str, Any] = dict(parse_qsl(parts.query))
                if body:
                    if (self.headers.get("Content-Type") or "").startswith("application/json"):
                        args.update(json.loads(body))
                    else:
                        args.update(parse_qsl(body.decode()))
                status, headers, answer = fake.answer(method, args, body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client was killed while we held its answer
                    self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    # -- what the tests look at ---------------------------------------------

    def calls(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args, _ in self.requests if name == method]

    def raw_bodies(self, method: str) -> list[bytes]:
        return [body for name, _, body in self.requests if name == method]

    def all_messages(self) -> list[dict[str, Any]]:
        return [message for messages in self.messages.values() for message in messages]

    def keys(self) -> list[str]:
        return [m["metadata"]["event_payload"]["key"] for m in self.all_messages() if m.get("metadata")]

    # -- the API --------------------------------------------------------------

    def answer(self, method: str, args: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            self.requests.append((method, args, body))
            if self.down:
                return 500, {}, {"ok": False, "error": "internal_error"}
            for failure in self.failures:
                if failure.method == method:
                    self.failures.remove(failure)
                    return failure.status, failure.headers, {"ok": False, "error": failure.error}
            if method == "conversations.list":
                channels = [{"id": cid, "name": name} for name, cid in self.channel_ids.items()]
                return 200, {}, {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}
            if method == "chat.postMessage":
                channel = args["channel"]
                if channel not in self.messages:
                    return 200, {}, {"ok": False, "error": "channel_not_found"}
                self._clock = max(self._clock + 0.001, time.time())
                message = {
                    "ts": f"{self._clock:.6f}",
                    "text": args.get("text"),
                    "blocks": args.get("blocks"),
                    "thread_ts": args.get("thread_ts"),
                    "metadata": args.get("metadata"),
                }
                self.messages[channel].append(message)
                hold = self.hold_posts
        if method == "chat.postMessage":
            if hold:
                self.posted.set()
                self.release.wait(30)
            return 200, {}, {"ok": True, "channel": channel, "ts": message["ts"], "message": message}
        with self._lock:
            if method == "chat.update":
                found = [m for m in self.messages.get(args["channel"], []) if m["ts"] == args.get("ts")]
                if not found:
                    return 200, {}, {"ok": False, "error": "message_not_found"}
                blocks = args.get("blocks")
                found[0].update(text=args.get("text"), blocks=json.loads(blocks) if isinstance(blocks, str) else blocks)
                return 200, {}, {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args.get("text")}
            if method in ("conversations.history", "conversations.replies"):
                messages = self.messages.get(args["channel"], [])
                oldest = float(args.get("oldest") or 0)
                if method == "conversations.history":
                    found = [m for m in messages if not m["thread_ts"]]
                else:
                    found = [m for m in messages if m["ts"] == args["ts"] or m["thread_ts"] == args["ts"]]
                found = [m for m in found if float(m["ts"]) >= oldest]
                with_metadata = str(args.get("include_all_metadata")).lower() in ("1", "true")
                shown = [{k: v for k, v in m.items() if k != "metadata" or with_metadata} for m in reversed(found)]
                return 200, {}, {"ok": True, "messages": shown, "has_more": False}
            return 200, {}, {"ok": False, "error": "unknown_method"}
