"""Edge tokens: what deciding at the edge saves, and what a token costs.

Prints each figure with its target and whether it is met (ratios measured in
the same run, never timed assertions in tests):

1. verifying a token in process (examples/edge/verify.py, the Python edge
   verifier as shipped: the signature, iat, iss and aud checked the first
   time a token is seen, exp at every use) against one HTTP GET
   /api/entitlements/me/ on a warm cache through gunicorn, the page view's
   question asked of us; median latencies, target >= 100x; also the first
   sight of a token alone (the Ed25519 signature check); the verification
   runs with sockets disabled, so it makes zero network calls by construction;
2. issuing tokens over HTTP (POST /api/entitlements/token/) against GET /me/,
   same gunicorn, same Token authentication, requests per second as a ratio
   (target >= 0.8);
3. a token's size in bytes (the cookie or header an edge reads): an unlimited
   reader and a metered reader with three counted articles.

Needs PostgreSQL and Redis on this machine (127.0.0.1); creates and drops its
own database, starts gunicorn itself and stops it:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paywall_bench \\
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/edge_tokens.py
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import socket
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.entitlements import (  # noqa: E402 - after the path and environment set-up
    bench_database,
    bench_start,
    fmt_us,
    http_parser,
    in_turn,
    paired_median_ns,
    under_load,
)

WHY_VERIFY = (
    "an Ed25519 signature check costs about 100 us in CPython (OpenSSL through "
    "cryptography, plus PyJWT's parsing); a warm /me/ on loopback costs a few ms. "
    "It is paid once per token: a reader's page views reuse it for its life."
)
WHY_ISSUE = (
    "a token is a /me/ plus one Ed25519 signature (~45 us) and a larger body; the "
    "ratio moves with this machine's load."
)


def _request(method: str, path: str, token: str) -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode()


def _once(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    if not answer.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"unexpected answer: {answer[:300]!r}")
    return answer


def _hammer(job: tuple[int, bytes, float]) -> int:
    port, request, seconds = job
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        _once(port, request)
        done += 1
    return done


def per_second(pool: Any, port: int, request: bytes, seconds: float) -> float:
    counts = pool.map(_hammer, [(port, request, seconds)] * pool._processes)
    return sum(counts) / seconds


def median_latency_ns(port: int, request: bytes, n: int) -> float:
    for _ in range(min(n, 50)):
        _once(port, request)
    clock = time.perf_counter_ns
    times = []
    for _ in range(n):
        started = clock()
        _once(port, request)
        times.append(clock() - started)
    return float(statistics.median(times))


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Any socket opened inside raises: what runs here makes no network call."""
    real = socket.socket.connect

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a network call during verification")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = real  # type: ignore[method-assign]


def python_verifier() -> Any:
    spec = importlib.util.spec_from_file_location(
        "edge_verify", ROOT / "examples" / "edge" / "verify.py"
    )
    if spec is None or spec.loader is None:
        raise SystemExit("examples/edge/verify.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = http_parser()
    parser.add_argument("--n", type=int, default=2000, help="timings per latency figure")
    args = parser.parse_args()
    report = bench_start("Edge tokens bench")
    from django.conf import settings
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from entitlements.readers import Reader
    from entitlements.selectors import entitlement_decide
    from entitlements.services import entitlement_read_article, grant_create
    from entitlements.tokens import jwks_document, token_issue

    with bench_database() as (test_db, env):
        print(f"database {test_db}; cache prefix {settings.CACHES['default']['KEY_PREFIX']}")
        reader = User.objects.create_user("edge-reader@example.com", "x" * 16)
        token = Token.objects.create(user=reader).key
        me_reader = Reader(user_id=reader.pk)
        for article in ("2026-12-04-budget-vote", "2026-12-03-harbour-fire", "2026-12-02-derby"):
            entitlement_read_article(reader=me_reader, article_id=article)
        metered_token = token_issue(reader=me_reader, decision=entitlement_decide(reader=me_reader))
        subscriber = User.objects.create_user("edge-subscriber@example.com", "x" * 16)
        grant_create(
            reader=subscriber,
            ends_at=timezone.now() + timedelta(days=30),
            reason="bench",
            granted_by=None,
        )
        sub_reader = Reader(user_id=subscriber.pk)
        unlimited_token = token_issue(
            reader=sub_reader, decision=entitlement_decide(reader=sub_reader)
        )
        jwks = json.loads(json.dumps(jwks_document()))  # what an edge fetched once

        me_request = _request("GET", "/api/entitlements/me/", token)
        token_request = _request("POST", "/api/entitlements/token/", token)
        with under_load(env, args.clients) as (port, pool):
            answer = _once(port, token_request)
            served = json.loads(answer.split(b"\r\n\r\n", 1)[1])["token"]
            for request in (me_request, token_request):
                per_second(pool, port, request, 1.0)  # warm every worker

            # --- 1. verify in process against one HTTP /me/ ----------------------
            me_ns = median_latency_ns(port, me_request, args.n)
            edge = python_verifier()
            verifier = edge.EdgeVerifier(
                jwks,
                issuer=settings.ENTITLEMENT_TOKEN_ISSUER,
                audience=settings.ENTITLEMENT_TOKEN_AUDIENCE,
            )
            with no_network():
                verify_ns, first_ns = paired_median_ns(
                    lambda: verifier.verify(served),
                    lambda: verifier.verify_signature(served),
                    args.n * 5,
                )
                if edge.decide(verifier.verify(served), "2026-12-02-derby") != "full":
                    raise SystemExit("the verifier does not serve a counted article")
            times = me_ns / verify_ns
            report.add(
                "verify in process vs HTTP GET /me/, latency",
                f"{times:.0f}x faster ({fmt_us(verify_ns)} vs {fmt_us(me_ns)})",
                ">= 100x",
                times >= 100,
                "examples/edge/verify.py as shipped: a token's signature is checked the "
                "first time it is seen, its exp at every page view; zero network calls "
                "(sockets refused while verifying)",
            )
            first = me_ns / first_ns
            report.add(
                "  a token's first sight (signature checked)",
                f"{first:.0f}x faster ({fmt_us(first_ns)} vs {fmt_us(me_ns)})",
                ">= 100x",
                first >= 100,
                "" if first >= 100 else f"short by {100 / first:.1f}x: {WHY_VERIFY}",
            )

            # --- 2. issuing over HTTP against /me/ ---------------------------------
            ratios = []
            for round_ in range(args.rounds):
                measured = {
                    request: per_second(pool, port, request, args.seconds)
                    for request in in_turn([me_request, token_request], round_)
                }
                ratios.append(measured[token_request] / measured[me_request])
                print(
                    f"  round {round_ + 1}: token {measured[token_request]:.0f}/s, "
                    f"/me/ {measured[me_request]:.0f}/s"
                )
        ratio = statistics.median(ratios)
        report.add(
            "POST /token/ vs GET /me/, req/s",
            f"{ratio:.3f}",
            ">= 0.8",
            ratio >= 0.8,
            "" if ratio >= 0.8 else f"short by {0.8 - ratio:.3f}: {WHY_ISSUE}",
        )

        # --- 3. token size --------------------------------------------------------
        metered_size = len(metered_token.token.encode())
        unlimited_size = len(unlimited_token.token.encode())
        report.add(
            "token size, bytes",
            f"{unlimited_size} unlimited, {metered_size} metered (3 articles)",
            "report",
            True,
            "well under a 4 KB cookie; each counted article id adds its length plus 3",
        )
    report.print()


if __name__ == "__main__":
    main()
