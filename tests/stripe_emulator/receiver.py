"""A tiny webhook receiver: a real HTTP server on a free loopback port that checks
every delivery with the SDK's own verifier (stripe.Webhook.construct_event)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import stripe  # noqa: TID251 - the receiver verifies signatures with the official SDK


class Receiver:
    def __init__(self, secret: str = "whsec_receiver_test_secret", port: int = 0) -> None:  # noqa: S107
        self.secret = secret
        self.lock = threading.Lock()
        self.deliveries: list[dict[str, Any]] = []  # every request, verified or not
        self.events: list[Any] = []  # stripe.Event objects, one per 2xx answer
        self.rejected: list[str] = []  # signature failures
        self.fail_plan: Counter[str] = Counter()  # event type -> answers still to fail
        self.fail_status = 500
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = self.rfile.read(length).decode()
                header = self.headers.get("Stripe-Signature", "")
                status = receiver.handle(payload, header)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/webhooks/stripe"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def handle(self, payload: str, header: str) -> int:
        try:
            event = stripe.Webhook.construct_event(payload, header, self.secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            with self.lock:
                self.rejected.append(str(exc))
            return 400
        with self.lock:
            self.deliveries.append(
                {"id": event.id, "type": event.type, "header": header, "body": json.loads(payload)}
            )
            if self.fail_plan[event.type] > 0:
                self.fail_plan[event.type] -= 1
                return self.fail_status
            self.events.append(event)
        return 200

    def fail(self, event_type: str, times: int, status: int = 500) -> None:
        """Answer `status` to the next `times` deliveries of `event_type`."""
        with self.lock:
            self.fail_plan[event_type] = times
            self.fail_status = status

    def ids(self, event_id: str) -> int:
        """How many deliveries of this event arrived (whatever the answer)."""
        with self.lock:
            return sum(1 for d in self.deliveries if d["id"] == event_id)

    def take(self) -> list[Any]:
        """The events accepted since the last take()."""
        with self.lock:
            events, self.events = self.events, []
            return events

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
