"""Factories shared across test folders.

They write rows directly, without Stripe (the emulator) and without the services'
audit entries: use them where a test is about a rule that reads those rows (who
has access, and until when), and drive billing through its API and the emulator
where the test is about billing itself.

Times are relative to a `now` parameter (default: the clock when the factory
runs, so time_machine moves them too); no date is baked in.
"""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import User
from billing.models import Customer, Plan, Subscription, SubscriptionStatus
from entitlements.models import ApiKey, Grant
from newsletters.models import Newsletter, Subscriber
from newsletters.models import Subscription as NewsletterSubscription
from newsletters.selectors import email_hash

DEFAULT_PASSWORD = "correct horse battery staple"
PERIOD = timedelta(days=30)


def _forget_decision(user_id: int | None) -> None:
    """What the services do after a write: a decision cached before the row gives way to it."""
    from entitlements.readers import Reader
    from entitlements.services import entitlement_invalidate

    if user_id is not None:
        entitlement_invalidate(reader=Reader(user_id=user_id))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class PlanFactory(factory.django.DjangoModelFactory):
    """A monthly plan, as plan_sync_catalogue leaves it (with Stripe ids that exist nowhere)."""

    class Meta:
        model = Plan
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    amount = 999
    currency = "eur"
    interval = Plan.Interval.MONTH
    trial_days = 30
    stripe_product_id = factory.Sequence(lambda n: f"prod_factory{n}")
    stripe_price_id = factory.Sequence(lambda n: f"price_factory{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)
    stripe_customer_id = factory.Sequence(lambda n: f"cus_factory{n}")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """An active subscription ten days into a 30-day period; traits for the other states.

    `now` places the periods; `into_period` is how long ago the current period
    began (for past_due: how long ago the renewal failed).
    """

    class Meta:
        model = Subscription
        skip_postgeneration_save = True

    class Params:
        now = factory.LazyFunction(timezone.now)
        into_period = timedelta(days=10)

        trialing = factory.Trait(
            status=SubscriptionStatus.TRIALING,
            trial_start=factory.SelfAttribute("current_period_start"),
            trial_end=factory.SelfAttribute("current_period_end"),
            latest_invoice_id="",
            default_payment_method_id="",
        )
        past_due = factory.Trait(status=SubscriptionStatus.PAST_DUE)
        canceled = factory.Trait(
            status=SubscriptionStatus.CANCELED,
            canceled_at=factory.SelfAttribute("now"),
            ended_at=factory.SelfAttribute("now"),
        )

    user = factory.SubFactory(UserFactory)
    customer = factory.SubFactory(CustomerFactory, user=factory.SelfAttribute("..user"))
    plan = factory.SubFactory(PlanFactory)
    stripe_subscription_id = factory.Sequence(lambda n: f"sub_factory{n}")
    status = SubscriptionStatus.ACTIVE
    current_period_start = factory.LazyAttribute(lambda o: o.now - o.into_period)
    current_period_end = factory.LazyAttribute(lambda o: o.current_period_start + PERIOD)
    latest_invoice_id = factory.Sequence(lambda n: f"in_factory{n}")
    default_payment_method_id = "pm_card_visa"
    stripe_created = factory.LazyAttribute(lambda o: o.current_period_start)
    synced_at = factory.SelfAttribute("now")

    @factory.post_generation
    def _invalidate(obj: Subscription, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            _forget_decision(obj.user_id)


class GrantFactory(factory.django.DjangoModelFactory):
    """Complimentary access running from `now` for 30 days; traits for not yet, ended, revoked."""

    class Meta:
        model = Grant
        skip_postgeneration_save = True

    class Params:
        now = factory.LazyFunction(timezone.now)

        upcoming = factory.Trait(
            starts_at=factory.LazyAttribute(lambda o: o.now + timedelta(days=1)),
        )
        ended = factory.Trait(
            starts_at=factory.LazyAttribute(lambda o: o.now - PERIOD),
            ends_at=factory.LazyAttribute(lambda o: o.now - timedelta(days=1)),
        )
        revoked = factory.Trait(revoked_at=factory.SelfAttribute("now"))

    reader = factory.SubFactory(UserFactory)
    starts_at = factory.SelfAttribute("now")
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + PERIOD)
    reason = "complimentary"
    granted_by = None

    @factory.post_generation
    def _invalidate(obj: Grant, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            _forget_decision(obj.reader_id)


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A service key made by api_key_create, so it authenticates; the raw key is `raw_key`.

    The raw key is only known when the factory makes it: ApiKey stores its digest.
    """

    class Meta:
        model = ApiKey

    name = factory.Sequence(lambda n: f"service {n}")
    created_by = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from entitlements.api_keys import api_key_create

        created = api_key_create(**kwargs)
        created.api_key.raw_key = created.key
        return created.api_key

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("ApiKeyFactory only creates: a key exists once api_key_create made it.")


class NewsletterFactory(factory.django.DjangoModelFactory):
    """A daily newsletter open to all, not offered by default at registration."""

    class Meta:
        model = Newsletter
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"newsletter-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    description = "The news, every morning."
    frequency = Newsletter.Frequency.DAILY


class SubscriberFactory(factory.django.DjangoModelFactory):
    """A confirmed address (rows as signup_confirm leaves them, without the sync feed)."""

    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"subscriber{n}@example.com")
    email_hash = factory.LazyAttribute(lambda o: email_hash(o.email))


class NewsletterSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NewsletterSubscription

    subscriber = factory.SubFactory(SubscriberFactory)
    newsletter = factory.SubFactory(NewsletterFactory)
    consented_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.SelfAttribute("consented_at")
    source = NewsletterSubscription.Source.SIGNUP
