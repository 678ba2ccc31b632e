"""A publisher's day: the Locust users of bench/publisher_day.py (which runs them headless).

Two kinds of visitor, each checking every answer against what the reader's
own state makes right (an expected 4xx is a success only then; any 5xx or
other status is a failure):

- AnonymousVisitor (weight 16): a page view is the decision
  (`GET /api/entitlements/me/`, as a reading surface shows the meter) and the
  read (`POST /api/entitlements/articles/<id>/read/`), with the signed
  `X-Reader-Id` the first answer handed back. The article comes from a pool
  of 40, so some page views are re-reads (free). The read must be granted
  exactly when the article was already counted or fewer than the meter's
  limit are, and refused (200, `granted: false`) otherwise; the decision's
  `used` must be the number granted so far. One page view in ten opens two
  new articles at once (two tabs, two connections): as many granted as the
  meter had room for, never more. After 3 to 6 page views the visitor
  leaves and a new one (no reader id) arrives.
- SignedInReader (weight 4): a journey, then another with a new account:
  registration (`POST /api/auth/registration/`, with the reader id of the
  visit before), login (`POST /api/auth/login/`), signed-in checks
  (`GET /api/entitlements/me/` with the Token; `GET /api/billing/subscription/`,
  a 404 `no_subscription` before the trial), the trial
  (`POST /api/billing/trial/`, monthly, `pm_card_visa`; one journey in four
  a double click: two submits at once, one subscription, the other answer
  the same one or a 409 `operation_in_progress` or `subscription_exists`),
  more checks (unlimited
  access while the subscription lives), and one journey in three a
  cancellation at the period end (`POST /api/billing/subscription/cancel/`,
  200, then a second one that changes nothing; or 409 `no_subscription` if
  the period ended in between).

Measured on this machine, that is about 90% of requests for anonymous
reading (the two anonymous endpoints) and 10% for everything else. The
runner drives the Stripe emulator's clock meanwhile (trials end, renewals
are charged, cancellations take effect), so Stripe's webhooks arrive during
the load. The mix's environment: BENCH_DAY_SUMMARY, where the counts of
5xx answers and of trials started and cancelled are written as JSON at the
end; BENCH_DAY_ANON_WEIGHT and BENCH_DAY_READER_WEIGHT, the weights;
BENCH_DAY_THINK, the seconds a reader waits between two steps ("0.5,1.5").
"""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import Counter
from typing import Any

import gevent
from locust import HttpUser, between, events, task
from locust.clients import HttpSession

READ = "POST /api/entitlements/articles/[id]/read/"
READ_TWO_TABS = "POST /api/entitlements/articles/[id]/read/ (two tabs)"
TWO_TABS = 0.1  # the share of page views that open two new articles at once
ME_ANONYMOUS = "GET /api/entitlements/me/ (anonymous)"
ME_SIGNED_IN = "GET /api/entitlements/me/ (signed in)"
REGISTER = "POST /api/auth/registration/"
LOGIN = "POST /api/auth/login/"
SUBSCRIPTION = "GET /api/billing/subscription/"
TRIAL = "POST /api/billing/trial/"
TRIAL_TWICE = "POST /api/billing/trial/ (double click)"
TRIAL_BODY = {"plan": "monthly", "payment_method": "pm_card_visa"}
REFUSED_TWICE = {"operation_in_progress", "subscription_exists"}
CANCEL = "POST /api/billing/subscription/cancel/"

ARTICLES = [f"2026-12-bench-{n:02d}" for n in range(40)]
# Seconds a reader waits between two steps (a page view, a step of a journey): min,max.
THINK = tuple(float(x) for x in os.environ.get("BENCH_DAY_THINK", "0.5,1.5").split(","))
PASSWORD = "plum-kettle-orbit-47"  # noqa: S105 - the bench's readers' password
RUN = f"{os.getpid()}-{random.randrange(10**6)}"

server_errors: Counter[str] = Counter()
counts: Counter[str] = Counter()
journeys = itertools.count()


@events.request.add_listener
def _count_5xx(name: str, response: Any, **_: Any) -> None:
    if response is not None and getattr(response, "status_code", 0) >= 500:
        server_errors[name] += 1


@events.quitting.add_listener
def _write_summary(**_: Any) -> None:
    path = os.environ.get("BENCH_DAY_SUMMARY")
    if path:
        with open(path, "w") as out:
            json.dump({"server_errors": dict(server_errors), "counts": dict(counts)}, out)


def _code(response: Any) -> str:
    try:
        return str(response.json().get("code", ""))
    except ValueError:
        return ""


def _expect(response: Any, status: int, code: str | None = None) -> bool:
    """Mark the answer a failure unless it is `status` (and `code`, for errors)."""
    if response.status_code == status and (code is None or _code(response) == code):
        response.success()  # an expected 4xx too: the reader's state makes it right
        return True
    response.failure(
        f"expected {status}{' ' + code if code else ''}, got {response.status_code}: "
        f"{response.text[:200]}"
    )
    return False


class AnonymousVisitor(HttpUser):
    weight = int(os.environ.get("BENCH_DAY_ANON_WEIGHT", "16"))
    wait_time = between(*THINK)

    def on_start(self) -> None:
        self._new_visitor()

    def _new_visitor(self) -> None:
        self.client.cookies.clear()
        self.reader_id: str | None = None
        self.counted: set[str] = set()
        self.views_left = random.randint(3, 6)

    def _headers(self) -> dict[str, str]:
        return {"X-Reader-Id": self.reader_id} if self.reader_id else {}

    @task
    def page_view(self) -> None:
        if self.views_left == 0:
            self._new_visitor()
        self.views_left -= 1
        article = random.choice(ARTICLES)
        with self.client.get(
            "/api/entitlements/me/", headers=self._headers(), name=ME_ANONYMOUS, catch_response=True
        ) as response:
            if not _expect(response, 200):
                return
            self.reader_id = self.reader_id or response.headers.get("X-Reader-Id")
            decision = response.json()
            if decision.get("access") != "metered" or not self.reader_id:
                response.failure(f"an anonymous reader is metered with an id: {decision}")
                return
            limit, used = decision["metered"]["limit"], decision["metered"]["used"]
            if used != len(self.counted):
                response.failure(f"the meter says {used} used, {len(self.counted)} were granted")
                return
        if random.random() < TWO_TABS:
            self._two_tabs(limit)
            return
        granted = article in self.counted or len(self.counted) < limit
        with self.client.post(
            f"/api/entitlements/articles/{article}/read/",
            headers=self._headers(),
            name=READ,
            catch_response=True,
        ) as response:
            if not _expect(response, 200):
                return
            outcome = response.json()
            if outcome.get("granted") is not granted:
                response.failure(
                    f"read of {article} with {sorted(self.counted)} counted (limit {limit}): "
                    f"expected granted={granted}, got {outcome}"
                )
                return
            if granted:
                self.counted.add(article)

    def _two_tabs(self, limit: int) -> None:
        """Two new articles opened at once (two tabs, two connections, one reader id): as
        many granted as the meter had room for, never more."""
        tab = HttpSession(
            base_url=self.host, request_event=self.environment.events.request, user=self
        )
        articles = random.sample([a for a in ARTICLES if a not in self.counted], 2)
        calls = [
            gevent.spawn(
                client.post,
                f"/api/entitlements/articles/{article}/read/",
                headers=self._headers(),
                name=READ_TWO_TABS,
                catch_response=True,
            )
            for client, article in zip((self.client, tab), articles, strict=True)
        ]
        gevent.joinall(calls, raise_error=True)
        responses = [call.value for call in calls]
        room = min(2, max(0, limit - len(self.counted)))
        granted = [
            article
            for article, r in zip(articles, responses, strict=True)
            if r.status_code == 200 and r.json().get("granted") is True
        ]
        right = all(r.status_code == 200 for r in responses) and len(granted) == room
        for response in responses:
            with response:
                if right:
                    response.success()
                else:
                    response.failure(
                        f"two tabs with room for {room}: granted {len(granted)}; answers "
                        + ", ".join(f"{r.status_code} {r.text[:120]}" for r in responses)
                    )
        self.counted.update(granted)


class SignedInReader(HttpUser):
    weight = int(os.environ.get("BENCH_DAY_READER_WEIGHT", "4"))
    wait_time = between(*THINK)

    def on_start(self) -> None:
        self.steps = iter(())
        self.token = ""

    @task
    def next_step(self) -> None:
        step = next(self.steps, None)
        if step is None:
            self.steps = self._journey(next(journeys))
            step = next(self.steps)
        step()

    def _journey(self, n: int) -> Any:
        """One reader's steps, one per task run; `n` numbers the journeys of the run."""
        self.state = "new"  # new -> trialing -> cancelling
        self.email = f"day-{RUN}-{n}@example.com"
        yield self.register
        yield self.login
        yield self.check_subscription
        yield self.check_me
        yield self.start_trial_twice if n % 4 == 1 else self.start_trial
        yield self.check_me
        yield self.check_subscription
        if n % 3 == 0:
            yield self.cancel
            yield self.cancel
        yield self.check_me
        yield self.check_me

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}

    def register(self) -> None:
        self.client.cookies.clear()
        # The reader id of the anonymous visit that led here: its reads merge into the meter.
        with self.client.get(
            "/api/entitlements/me/", name=ME_ANONYMOUS, catch_response=True
        ) as response:
            _expect(response, 200)
            reader_id = response.headers.get("X-Reader-Id", "")
        body = {"email": self.email, "password1": PASSWORD, "password2": PASSWORD}
        with self.client.post(
            "/api/auth/registration/",
            json=body,
            headers={"X-Reader-Id": reader_id},
            name=REGISTER,
            catch_response=True,
        ) as response:
            if _expect(response, 201):
                self.token = response.json()["key"]
                counts["registrations"] += 1

    def login(self) -> None:
        with self.client.post(
            "/api/auth/login/",
            json={"email": self.email, "password": PASSWORD},
            name=LOGIN,
            catch_response=True,
        ) as response:
            if _expect(response, 200):
                self.token = response.json()["key"]

    def check_me(self) -> None:
        with self.client.get(
            "/api/entitlements/me/", headers=self._auth(), name=ME_SIGNED_IN, catch_response=True
        ) as response:
            if not _expect(response, 200):
                return
            access = response.json().get("access")
            # A live subscription (a trial, then paid: pm_card_visa always pays) gives
            # access; one cancelled at the period end may have ended by now.
            allowed = {"new": {"metered"}, "trialing": {"unlimited"}}.get(
                self.state, {"unlimited", "metered"}
            )
            if access not in allowed:
                response.failure(f"a {self.state} reader's access is {access}")

    def check_subscription(self) -> None:
        with self.client.get(
            "/api/billing/subscription/",
            headers=self._auth(),
            name=SUBSCRIPTION,
            catch_response=True,
        ) as response:
            if self.state == "new":
                _expect(response, 404, "no_subscription")
            elif _expect(response, 200) and self.state == "trialing":
                status = response.json().get("status")
                if status not in ("trialing", "active"):
                    response.failure(f"a live subscription is {status}")

    def start_trial(self) -> None:
        with self.client.post(
            "/api/billing/trial/",
            json=TRIAL_BODY,
            headers=self._auth(),
            name=TRIAL,
            catch_response=True,
        ) as response:
            if _expect(response, 201):
                self.state = "trialing"
                counts["trials"] += 1

    def start_trial_twice(self) -> None:
        """A double click: two submits at once (two connections). One trial starts: the
        other answer is the same subscription (the twin reused the first one's attempt and
        Stripe replayed it, docs/architecture.md "Idempotency"), or a 409
        operation_in_progress (the twin still at Stripe) or subscription_exists."""
        second = HttpSession(
            base_url=self.host, request_event=self.environment.events.request, user=self
        )
        calls = [
            gevent.spawn(
                client.post,
                "/api/billing/trial/",
                json=TRIAL_BODY,
                headers=self._auth(),
                name=TRIAL_TWICE,
                catch_response=True,
            )
            for client in (self.client, second)
        ]
        gevent.joinall(calls, raise_error=True)
        responses = [call.value for call in calls]
        created = {r.json().get("id") for r in responses if r.status_code == 201}
        right = len(created) == 1 and all(
            r.status_code == 201 or (r.status_code == 409 and _code(r) in REFUSED_TWICE)
            for r in responses
        )
        for response in responses:
            with response:
                if right:
                    response.success()
                else:
                    response.failure(
                        "a double click: expected one subscription, got "
                        + ", ".join(f"{r.status_code} {r.text[:120]}" for r in responses)
                    )
        if created:
            self.state = "trialing"
            counts["trials"] += 1

    def cancel(self) -> None:
        body = {"reason": "too_expensive", "at_period_end": True}
        with self.client.post(
            "/api/billing/subscription/cancel/",
            json=body,
            headers=self._auth(),
            name=CANCEL,
            catch_response=True,
        ) as response:
            if self.state == "cancelling" and response.status_code == 409:
                # Asked twice: the period may have ended in between (the clock runs fast).
                _expect(response, 409, "no_subscription")
                return
            if not _expect(response, 200):
                return
            if self.state == "trialing":
                counts["cancellations"] += 1
            self.state = "cancelling"
            if response.json().get("cancel_at_period_end") is not True:
                response.failure(f"not cancelling at the period end: {response.text[:200]}")
