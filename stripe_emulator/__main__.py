"""python -m stripe_emulator [--host 127.0.0.1] [--port 12111] [--state PATH]
[--api-key sk_test_... ...] [--publishable-key pk_test_... ...]
[--webhook-url URL --webhook-secret whsec_...]
[--webhook-retries 1,2,4] [--payment-retry-days 3,5,7] [--after-retries canceled|unpaid|past_due]"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time

from .auth import (
    DEFAULT_API_KEY,
    DEFAULT_PUBLISHABLE_KEY,
    accepted_keys,
    accepted_publishable_keys,
    mask,
)
from .lifecycle.dunning import AFTER_RETRIES
from .server import EmulatorServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stripe_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--state", metavar="PATH", help="keep state in this JSON file")
    parser.add_argument(
        "--api-key",
        action="append",
        metavar="sk_test_...",
        help=f"a secret key the API accepts (repeatable; default {DEFAULT_API_KEY})",
    )
    parser.add_argument(
        "--publishable-key",
        action="append",
        metavar="pk_test_...",
        help="a publishable key Stripe.js calls may use (repeatable; "
        f"default {DEFAULT_PUBLISHABLE_KEY}); the Stripe.js stand-in is served at /v3/",
    )
    parser.add_argument("--webhook-url", help="register one endpoint for every event at start")
    parser.add_argument("--webhook-secret", help="its signing secret (whsec_...)")
    parser.add_argument(
        "--webhook-retries",
        default="1,2,4",
        metavar="S1,S2,...",
        help="seconds before each webhook retry (Stripe's test-mode schedule, compressed)",
    )
    parser.add_argument(
        "--payment-retry-days",
        default="3,5,7",
        metavar="D1,D2,...",
        help="failed-payment retries: days after the previous attempt (custom schedule)",
    )
    parser.add_argument(
        "--after-retries",
        default="canceled",
        choices=AFTER_RETRIES,
        help="what a subscription becomes when its last payment retry fails",
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    if bool(args.webhook_url) != bool(args.webhook_secret):
        parser.error("--webhook-url and --webhook-secret go together")
    if args.webhook_secret and not args.webhook_secret.startswith("whsec_"):
        parser.error("--webhook-secret must start with whsec_")

    try:
        webhook_retries = _numbers(args.webhook_retries)
        retry_days = _numbers(args.payment_retry_days)
    except ValueError:
        parser.error("retry schedules are comma-separated non-negative numbers")
    try:
        api_keys = accepted_keys(args.api_key)
    except ValueError as exc:
        parser.error(f"--api-key: {exc}")
    try:
        publishable_keys = accepted_publishable_keys(args.publishable_key)
    except ValueError as exc:
        parser.error(f"--publishable-key: {exc}")
    server = EmulatorServer(
        args.host,
        args.port,
        state_path=args.state,
        api_keys=api_keys,
        publishable_keys=publishable_keys,
        webhook_retry_schedule=webhook_retries,
        payment_retry_days=retry_days,
        after_retries=args.after_retries,
    )
    if args.webhook_url:
        existing = [
            e for e in server.emulator.state.all("webhook_endpoint") if e["url"] == args.webhook_url
        ]
        if not existing:
            server.emulator.register_webhook(args.webhook_url, args.webhook_secret)
    if args.api_key:
        keys = f"API keys accepted: {', '.join(sorted(map(mask, api_keys)))}"
    else:
        keys = f"no --api-key given: the API accepts the default key {DEFAULT_API_KEY}"
    keys += f"; publishable keys: {', '.join(sorted(publishable_keys))} (Stripe.js at /v3/)"
    _wait_for_a_stop_signal(server, keys)
    server.stop()
    print("stripe emulator stopped", flush=True)
    return 0


def _wait_for_a_stop_signal(server: EmulatorServer, keys: str) -> None:
    """Serve until SIGINT or SIGTERM; the handler only sets a flag.

    A signal handler runs in the main thread between two bytecodes, possibly
    inside code holding a lock: one that takes a lock itself (Event.set, a
    server's shutdown) can deadlock. So the handler assigns a flag and the
    main thread, polling it, shuts down (saving included) outside any handler.
    """
    signals: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        signals.append(signum)

    # Installed even where the shell started us with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server.start()
    print(f"stripe emulator listening on {server.url}", flush=True)
    print(f"stripe emulator: {keys}", flush=True)
    while not signals:
        time.sleep(0.1)


def _numbers(text: str) -> list[float]:
    values = [float(part) for part in text.split(",") if part.strip()]
    if any(v < 0 for v in values):
        raise ValueError(text)
    return values


if __name__ == "__main__":
    sys.exit(main())
