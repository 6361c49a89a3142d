"""A local imitation of Twilio's Messages API, for tests, benchmarks and demonstrations.

It answers the requests the real ``twilio`` client makes (create a message, list
messages with filters) with the JSON Twilio would send, checks HTTP basic auth, and can
be told to misbehave: answer 429 or 500 for a while, store a message and still answer
500 (the ambiguous case), answer slowly, or answer in the newer RFC 9457 error format
(which the client raises as ``TwilioServiceException``).  Never used by production code:
``RISKCTL_TWILIO_BASE_URL`` points the real client at it.

    flask riskctl fake-twilio --port 8099   # then RISKCTL_TWILIO_BASE_URL=http://127.0.0.1:8099
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MESSAGES_PATH = "/2010-04-01/Accounts/{sid}/Messages.json"


@dataclass
class Misbehaviour:
    """What the next create requests get instead of a plain 201."""

    status: int  # 429, 500, 503, 400 ...; 201 with a delay: slow but successful
    store: bool = False  # keep the message although the answer is an error
    delay: float = 0.0  # seconds before answering
    rfc9457: bool = False  # the newer error format
    code: int = 20429


@dataclass
class FakeTwilio:
    account_sid: str = "AC" + "0" * 32
    auth_token: str = "fake-auth-token"
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[float, str, str]] = field(default_factory=list)  # (time, method, path)
    plan: deque[Misbehaviour] = field(default_factory=deque)
    delay: float = 0.0  # applied to every request
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def misbehave(self, times: int, status: int, **kwargs: Any) -> None:
        for _ in range(times):
            self.plan.append(Misbehaviour(status, **kwargs))

    def creates(self) -> list[tuple[float, str, str]]:
        return [r for r in self.requests if r[1] == "POST"]

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the client's delayed
            # ACK would add 40 ms to every answer — a cost of the fake, not of Twilio.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _answer(self, status: int, payload: Any) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _authorised(self) -> bool:
                expected = base64.b64encode(
                    f"{fake.account_sid}:{fake.auth_token}".encode()
                ).decode()
                return self.headers.get("Authorization") == f"Basic {expected}"

            def do_POST(self) -> None:
                fake._record("POST", self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:
                    # The client died mid-request (the crash tests kill one on purpose): a
                    # server never acts on a request it did not receive whole.
                    self.close_connection = True
                    return None
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                if fake.delay:
                    time.sleep(fake.delay)
                if not self._authorised():
                    return self._answer(401, {"code": 20003, "message": "Authenticate"})
                if urlsplit(self.path).path != MESSAGES_PATH.format(sid=fake.account_sid):
                    return self._answer(404, {"code": 20404, "message": "not found"})
                for name, code in (("To", 21604), ("Body", 21602)):  # as Twilio answers
                    if not form.get(name):
                        return self._answer(
                            400, {"code": code, "message": f"A '{name}' is required.",
                                  "status": 400},
                        )  # fmt: skip
                with fake._lock:
                    trouble = fake.plan.popleft() if fake.plan else None
                if trouble is not None and trouble.delay:
                    time.sleep(trouble.delay)
                # A plan entry with a 2xx status only delays a normal answer (a client
                # that times out meanwhile has created the message all the same).
                ok = trouble is None or trouble.status < 300
                if ok or (trouble is not None and trouble.store):
                    message = fake._store(form)
                if ok or trouble is None:
                    return self._answer(201, message)
                if trouble.rfc9457:
                    return self._answer(
                        trouble.status,
                        {
                            "type": "https://www.twilio.com/docs/errors/" + str(trouble.code),
                            "title": "Too many requests" if trouble.status == 429 else "Error",
                            "status": trouble.status, "code": trouble.code,
                            "detail": "the fake server was told to refuse",
                        },
                    )  # fmt: skip
                return self._answer(
                    trouble.status,
                    {"code": trouble.code, "message": "the fake server was told to refuse",
                     "status": trouble.status},
                )  # fmt: skip

            def do_GET(self) -> None:
                fake._record("GET", self.path)
                if not self._authorised():
                    return self._answer(401, {"code": 20003, "message": "Authenticate"})
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                found = fake._matching(query)
                self._answer(
                    200,
                    {
                        "messages": found, "first_page_uri": parts.path, "next_page_uri": None,
                        "previous_page_uri": None, "page": 0, "page_size": len(found) or 50,
                        "start": 0, "end": max(len(found) - 1, 0), "uri": self.path,
                    },
                )  # fmt: skip

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                # A client that died mid-request (the crash tests kill one on purpose)
                # leaves a broken pipe here; that is expected, not worth a traceback.
                pass

        self._server = Server((self.host, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((time.monotonic(), method, path))

    def _store(self, form: dict[str, str]) -> dict[str, Any]:
        now = datetime.now(UTC)
        body = form.get("Body", "")
        sid = "SM" + uuid.uuid4().hex
        message: dict[str, Any] = {
            "sid": sid, "account_sid": self.account_sid,
            "to": form.get("To"), "from": form.get("From"), "body": body,
            "status": "queued", "direction": "outbound-api",
            "num_segments": str(max(1, -(-len(body) // 67))) if len(body) > 70 else "1",
            "date_created": format_datetime(now), "date_updated": format_datetime(now),
            "date_sent": format_datetime(now), "error_code": None, "error_message": None,
            "price": None, "price_unit": "USD", "api_version": "2010-04-01",
            "status_callback": form.get("StatusCallback"),
            "uri": MESSAGES_PATH.format(sid=self.account_sid).replace(".json", f"/{sid}.json"),
            "_created": now.timestamp(),
        }  # fmt: skip
        with self._lock:
            self.messages.append(message)
        return {k: v for k, v in message.items() if not k.startswith("_")}

    def _matching(self, query: dict[str, str]) -> list[dict[str, Any]]:
        after = query.get("DateSent>")
        since = datetime.fromisoformat(after.replace("Z", "+00:00")).timestamp() if after else 0.0
        with self._lock:
            rows = list(self.messages)
        return [
            {k: v for k, v in m.items() if not k.startswith("_")}
            for m in reversed(rows)
            if float(m["_created"]) >= since
            and query.get("To") in (None, m["to"])
            and query.get("From") in (None, m["from"])
        ]
