"""The HTTP server: Stripe's wire conventions over a ThreadingHTTPServer."""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import errors
from .auth import accepted_keys, accepted_publishable_keys, authenticate
from .concurrency import execute, lock_timeout
from .emulator import Emulator
from .errors import StripeError
from .faults import FaultError, parse_fault
from .params import parse_form
from .publishable import allows_publishable, check_client_secret
from .resources import match, validate
from .store import API_VERSION
from .stripejs import serve_stripejs
from .versions import check_request as check_request_version

log = logging.getLogger("stripe_emulator")


def _request_id() -> str:
    return "req_" + secrets.token_urlsafe(10).replace("-", "a").replace("_", "b")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server_version = "stripe-emulator"
    sys_version = ""
    emulator: Emulator  # set on the subclass the server builds
    api_keys: frozenset[str]  # likewise: the secret keys accepted (auth.py)
    publishable_keys: frozenset[str]  # and the publishable ones (publishable.py)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_OPTIONS(self) -> None:
        """A CORS preflight: the API answers any origin, as api.stripe.com does for
        Stripe.js on any site (cors_headers)."""
        self._read_body()
        self.send_response(204 if urlsplit(self.path).path.startswith("/v1/") else 404)
        headers = cors_headers()
        headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
        headers["Access-Control-Allow-Headers"] = (
            "Authorization, Content-Type, Idempotency-Key, Stripe-Version, Stripe-Account"
        )
        headers["Access-Control-Max-Age"] = "300"
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    # -- plumbing -------------------------------------------------------
    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        """Close the connection without an answer (a network failure, as the client sees it)."""
        self.close_connection = True
        try:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self._read_body()
        if url.path.startswith("/_emulator/"):
            self._control(method, url.path, body)
        elif url.path == "/v3" or url.path.startswith("/v3/"):
            status, content_type, payload = serve_stripejs(
                self.emulator, method, url.path, url.query, body
            )
            self._send(status, payload, {"Cache-Control": "no-store"}, content_type)
        else:
            self._api(method, url.path, url.query, body)

    # -- the control API (no auth, JSON) -------------------------------------
    def _control(self, method: str, path: str, body: bytes) -> None:
        emu = self.emulator
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            self._send(400, {"error": "body must be JSON"})
            return
        if (method, path) == ("POST", "/_emulator/reset"):
            emu.reset()
            self._send(200, {"ok": True})
        elif (method, path) == ("POST", "/_emulator/faults"):
            try:
                emu.faults.add(parse_fault(data))
            except FaultError as exc:
                self._send(400, {"error": str(exc)})
                return
            self._send(200, {"faults": emu.faults.pending()})
        elif (method, path) == ("GET", "/_emulator/faults"):
            self._send(200, {"faults": emu.faults.pending()})
        elif (method, path) == ("DELETE", "/_emulator/faults"):
            emu.faults.clear()
            self._send(200, {"faults": []})
        elif (method, path) == ("GET", "/_emulator/requests"):
            self._send(200, {"requests": emu.requests()})
        elif (method, path) == ("GET", "/_emulator/clock"):
            self._send(200, {"now": emu.state.clock.now()})
        elif (method, path) == ("POST", "/_emulator/clock/advance"):
            seconds = data.get("seconds")
            if "to" in data and seconds is None:
                to = data["to"]
                seconds = max(0, to - emu.state.clock.now()) if isinstance(to, int) else None
            if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
                self._send(400, {"error": "give seconds (an integer >= 0) or to (a unix time)"})
                return
            self._send(200, emu.scheduler.advance(seconds))
        elif (method, path) == ("POST", "/_emulator/webhooks/flush"):
            timeout = data.get("timeout", 60)
            if not isinstance(timeout, int | float) or timeout <= 0:
                self._send(400, {"error": "timeout must be a positive number of seconds"})
                return
            self._send(200, emu.flush(retries=bool(data.get("retries")), timeout=timeout))
        elif (method, path) == ("GET", "/_emulator/webhooks"):
            self._send(
                200,
                {"attempts": emu.deliveries.attempts(), "pending": emu.deliveries.pending()},
            )
        elif (method, path) == ("POST", "/_emulator/webhooks/endpoints"):
            url, secret, events = data.get("url"), data.get("secret"), data.get("enabled_events")
            version = data.get("api_version")
            bad_secret = secret is not None and not str(secret).startswith("whsec_")
            if not isinstance(url, str) or bad_secret:
                self._send(400, {"error": "url is required; secret, if given, starts with whsec_"})
                return
            try:
                self._send(200, emu.register_webhook(url, secret, events, api_version=version))
            except StripeError as err:
                self._send(err.status, err.body())
        elif path == "/_emulator/settings" and method in ("GET", "POST"):
            try:
                self._send(200, emu.settings(data if method == "POST" else None))
            except ValueError as exc:
                self._send(400, {"error": str(exc)})
        elif (
            method == "POST"
            and path.startswith("/_emulator/intents/")
            and path.endswith("/authenticate")
        ):
            intent_id = path.removeprefix("/_emulator/intents/").removesuffix("/authenticate")
            outcome = data.get("outcome", "succeed")
            if outcome not in ("succeed", "fail"):
                self._send(400, {"error": "outcome must be succeed or fail"})
                return
            try:
                body = emu.authenticate(intent_id, succeed=outcome == "succeed")
            except StripeError as err:
                self._send(err.status, err.body())
                return
            self._send(200, body)
        else:
            self._send(404, {"error": f"no control endpoint {method} {path}"})

    # -- the Stripe API --------------------------------------------------------
    def _api(self, method: str, path: str, query: str, body: bytes) -> None:
        emu = self.emulator
        request_id = _request_id()
        key = self.headers.get("Idempotency-Key") if method == "POST" else None
        entry: dict[str, Any] = {
            "method": method,
            "path": path,
            "idempotency_key": key,
            "status": None,
            "time": time.time(),
            "request_id": request_id,
        }
        headers = {"Request-Id": request_id, "Stripe-Version": API_VERSION, **cors_headers()}
        if key:
            headers["Idempotency-Key"] = key
        drop_after, hold_ms = False, 0
        try:
            fault = emu.faults.take(path, method)
            if fault is not None:
                entry["fault"] = fault.mode
                if fault.mode == "delay":
                    time.sleep(fault.delay_ms / 1000)
                elif fault.mode == "drop":
                    emu.record(entry)
                    self._drop()
                    return
                elif fault.mode == "500":
                    raise errors.api_error()
                elif fault.mode == "429":
                    raise errors.rate_limit(fault.should_retry)
                elif fault.mode == "drop_after":
                    drop_after = True
                elif fault.mode == "lock_timeout":
                    raise lock_timeout()
                elif fault.mode == "hold":
                    hold_ms = fault.delay_ms
            raw = body.decode() if method == "POST" else query
            params, refused = _parse(raw)
            # Stripe.js sends its publishable key as the `key` parameter (publishable.py).
            form_key = params.pop("key", None) if isinstance(params, dict) else None
            found = match(method, path) if path.startswith("/v1/") else None
            kind = self._authenticate(
                form_key if isinstance(form_key, str) else None,
                allows_publishable(found[0] if found else None),
            )
            if found is None:
                raise errors.unrecognized_url(method, path)
            if refused is not None:
                raise refused
            route, args = found
            if kind == "publishable":
                entry["key"] = "publishable"
                check_client_secret(emu.state, route, args, params)
            validate(route, params)
            status, payload, replayed = self._execute(
                route, args, params, key, request_id, path, hold_ms
            )
        except StripeError as err:
            status, payload, replayed = err.status, err.body(request_id), None
            headers.update(err.headers)
        entry["status"] = status
        if replayed is not None:
            entry["replayed"] = True
            headers["Idempotent-Replayed"] = "true"
            headers["Original-Request"] = replayed
        emu.record(entry)
        if drop_after:
            entry["dropped"] = True
            self._drop()
            return
        self._send(status, payload, headers)

    def _authenticate(self, form_key: str | None, publishable_allowed: bool) -> str:
        """Stripe's 401 for a key not given at start (or a publishable key where Stripe
        refuses one), then its 400 for a version not served. "secret" or "publishable"."""
        kind = authenticate(
            self.headers.get("Authorization", ""),
            self.api_keys,
            self.publishable_keys if publishable_allowed else frozenset(),
            form_key,
        )
        check_request_version(self.headers.get("Stripe-Version"))
        return kind

    def _execute(self, route, args, params, key, request_id, path, hold_ms=0):
        """Concurrently with other requests: stripe_emulator/concurrency.py."""
        return execute(self.emulator, route, args, params, key, request_id, path, hold_ms)


def _parse(raw: str) -> tuple[dict[str, Any], StripeError | None]:
    """The form parameters, or ({}, the 400) when they cannot be read (raised after the
    key is checked: a request without a valid key is a 401 whatever it carries)."""
    try:
        return parse_form(raw), None
    except StripeError as err:
        return {}, err


def cors_headers() -> dict[str, str]:
    """Stripe.js calls the API from the page's origin, any site's: the API answers every
    origin, with no cookies (the key authenticates) **(choice: the headers Stripe.js needs)**."""
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "Request-Id, Stripe-Version, Idempotency-Key",
    }


class EmulatorServer:
    """A running emulator: `start()` in a background thread, `stop()` cleanly."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 12111,
        state_path: str | None = None,
        emulator: Emulator | None = None,
        api_keys: Iterable[str] | None = None,
        publishable_keys: Iterable[str] | None = None,
        **options: Any,
    ) -> None:
        """`api_keys`: the sk_test_ keys accepted (auth.DEFAULT_API_KEY if none);
        `publishable_keys`: the pk_test_ ones (auth.DEFAULT_PUBLISHABLE_KEY if none).
        `options` go to Emulator: webhook_retry_schedule, payment_retry_days,
        after_retries."""
        self.api_keys = accepted_keys(api_keys)
        self.publishable_keys = accepted_publishable_keys(publishable_keys)
        self.emulator = emulator or Emulator(state_path, **options)
        bound = {
            "emulator": self.emulator,
            "api_keys": self.api_keys,
            "publishable_keys": self.publishable_keys,
        }
        handler = type("BoundHandler", (Handler,), bound)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self.httpd.server_address[0]

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        self.emulator.start()
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.emulator.start()
        self.httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop taking requests, then stop the clock and the senders, then save (with
        --state): every write answered before is in the file, and so is every webhook
        not yet delivered. Call from a thread other than the serving one (shutdown()
        waits for serve_forever to return)."""
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.emulator.stop()
        self.emulator.state.save()
