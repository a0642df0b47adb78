"""A real HTTP server on 127.0.0.1 for tests: routes with fixed answers or handlers, and a hit log."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[BaseHTTPRequestHandler], Answer | None]


class LocalServer:
    """`route()` a path to an Answer or to a handler; a handler returning None has answered itself."""

    def __init__(self) -> None:
        self.routes: dict[str, Answer | Handler] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.hits[self.path] += 1
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path)
                if route is None:
                    answer: Answer | None = Answer(
                        b"<html><title>404</title></html>", 404, {"Content-Type": "text/html"}
                    )
                elif isinstance(route, Answer):
                    answer = route
                else:
                    answer = route(self)
                if answer is None:
                    return
                self.send_response(answer.status)
                headers = {"Content-Type": "application/xml", **answer.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def route(self, path: str, answer: Answer | Handler | bytes, **kwargs: object) -> str:
        if isinstance(answer, bytes):
            answer = Answer(answer, **kwargs)  # type: ignore[arg-type]
        self.routes[path] = answer
        return self.url(path)
