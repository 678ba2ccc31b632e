"""Subscription creates and webhook deliveries per second against the emulator.

House way: print the figure and a ratio against a baseline measured in the
same process (customer retrieves, the cheapest SDK round trip), never assert
on time.

    .venv/bin/python bench/emulator.py [--n 300]
"""

from __future__ import annotations

import argparse
import time

import stripe  # noqa: TID251 - a benchmark of the emulator through the official SDK

from stripe_emulator.server import EmulatorServer


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300, help="operations per measurement")
    args = parser.parse_args()
    n = args.n

    server = EmulatorServer("127.0.0.1", 0, api_keys=["sk_test_bench"]).start()
    try:
        client = stripe.StripeClient(
            "sk_test_bench", base_addresses={"api": server.url}, max_network_retries=0
        )
        product = client.v1.products.create(params={"name": "Gold"})
        price = client.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 999,
                "recurring": {"interval": "month"},
            }
        )
        customers = [
            client.v1.customers.create(
                params={
                    "payment_method": "pm_card_visa",
                    "invoice_settings": {"default_payment_method": "pm_card_visa"},
                }
            )
            for _ in range(n)
        ]
        # Warm up connections and code paths.
        for customer in customers[:20]:
            client.v1.customers.retrieve(customer.id)

        started = time.perf_counter()
        for customer in customers:
            client.v1.customers.retrieve(customer.id)
        baseline = rate(n, time.perf_counter() - started)

        started = time.perf_counter()
        for customer in customers:
            sub = client.v1.subscriptions.create(
                params={"customer": customer.id, "items": [{"price": price.id}]}
            )
            if sub.status != "active":
                raise SystemExit(f"unexpected status {sub.status}")
        creates = rate(n, time.perf_counter() - started)

        started = time.perf_counter()
        for customer in customers[: n // 3]:
            client.v1.subscriptions.create(
                params={
                    "customer": customer.id,
                    "items": [{"price": price.id}],
                    "trial_period_days": 30,
                }
            )
        trials = rate(n // 3, time.perf_counter() - started)

        # Webhooks: a month of renewals for every subscription above, delivered to a
        # receiver that checks each signature with the SDK (advance + flush, timed).
        receiver = _Receiver()
        try:
            server.emulator.register_webhook(receiver.url, receiver.secret)
            started = time.perf_counter()
            server.emulator.scheduler.advance(32 * 86400)
            result = server.emulator.flush(timeout=300)
            elapsed = time.perf_counter() - started
            if result["failed"] or result["pending"] or receiver.rejected:
                raise SystemExit(f"deliveries went wrong: {result}, {receiver.rejected[:1]}")
            delivered = result["delivered"]
            events = rate(delivered, elapsed)
        finally:
            receiver.stop()
    finally:
        server.stop()

    print(f"customer retrieves (baseline): {baseline:8.1f}/s  (n={n})")
    print(f"subscription creates (charged): {creates:8.1f}/s  ratio {creates / baseline:.2f}")
    print(f"subscription creates (trial):   {trials:8.1f}/s  ratio {trials / baseline:.2f}")
    print(
        f"events delivered (signed, verified): {events:8.1f}/s  ratio {events / baseline:.2f}"
        f"  (n={delivered}, renewals and trial ends run by one advance)"
    )


class _Receiver:
    """A loopback endpoint answering 200 to deliveries the SDK verifies."""

    secret = "whsec_bench"  # noqa: S105 - a fixed secret for a loopback bench

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.rejected: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                try:
                    stripe.Webhook.construct_event(
                        body, self.headers["Stripe-Signature"], receiver.secret
                    )
                    status = 200
                except stripe.SignatureVerificationError as exc:
                    receiver.rejected.append(str(exc))
                    status = 400
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":
    main()
