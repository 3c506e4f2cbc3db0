"""A local fake of the part of Twilio's REST API the service uses: creating a Message.

A real HTTP server on 127.0.0.1 (a thread); the real `twilio` client is pointed at it through
`TWILIO_API_BASE_URL` (notifications.sms.twilio.BaseUrlHttpClient). It checks what Twilio checks
(Basic auth with the account SID and token, To/Body and a sender present), records every
request it received, and answers with Twilio's JSON shapes. `fail_next` queues error answers
(status, Twilio error code) for the next requests, to exercise retries and permanent errors.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-fA-F]{32})/Messages\.json$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass
class Received:
    path: str
    account_sid: str
    auth: tuple[str, str]
    form: dict[str, str]
    user_agent: str


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    received: list[Received] = field(default_factory=list)
    failures: list[tuple[int, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, status: int, code: int, times: int = 1) -> None:
        with self.lock:
            self.failures.extend([(status, code)] * times)

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _error(self, status: int, code: int, message: str) -> None:
                info = f"https://www.twilio.com/docs/errors/{code}"
                self._json(status, {"code": code, "message": message, "more_info": info, "status": status})

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                match = MESSAGES_PATH.match(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if match is None:
                    return self._error(404, 20404, "The requested resource was not found")
                auth = self.headers.get("Authorization", "")
                try:
                    user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
                except ValueError:
                    user, password = "", ""
                if user != fake.account_sid or password != fake.auth_token or match["sid"] != fake.account_sid:
                    return self._error(401, 20003, "Authenticate")
                with fake.lock:
                    fake.received.append(
                        Received(self.path, match["sid"], (user, password), form, self.headers.get("User-Agent", ""))
                    )
                    failure = fake.failures.pop(0) if fake.failures else None
                if failure is not None:
                    return self._error(failure[0], failure[1], f"Injected failure {failure[1]}")
                if not form.get("Body"):
                    return self._error(400, 21602, "Message body is required.")
                if not E164.match(form.get("To", "")):
                    return self._error(400, 21211, f"The 'To' number {form.get('To')} is not a valid phone number.")
                if not (form.get("From") or form.get("MessagingServiceSid")):
                    return self._error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
                sid = "SM" + uuid.uuid4().hex
                self._json(
                    201,
                    {
                        "sid": sid,
                        "account_sid": fake.account_sid,
                        "to": form["To"],
                        "from": form.get("From"),
                        "messaging_service_sid": form.get("MessagingServiceSid"),
                        "body": form["Body"],
                        "status": "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                        "date_created": "Thu, 01 Jan 2026 00:00:00 +0000",
                        "uri": f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{sid}.json",
                        "error_code": None,
                        "error_message": None,
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
