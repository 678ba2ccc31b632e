"""Amounts in mails are written in the reader's currency and their country's locale: a
German reader pays in euros and reads "9,99 €", and a receipt with tax shows net, tax and
total. The euro price is tax-inclusive, as the publisher sells in the EU."""

import pytest
from django.core import mail

from tests.helpers.billing import sync
from tests.helpers.tax import send, trial_from
from tests.stripe_time import past_trial_end

pytestmark = pytest.mark.django_db


def bodies(subject):
    found = [m for m in mail.outbox if m.subject == subject]
    assert len(found) == 1, [m.subject for m in mail.outbox]
    html = found[0].alternatives[0][0]
    return found[0].body, html


def trial_will_end(client, captured, reader, trial) -> None:
    """Deliver Stripe's trial_will_end for the reader's trial, hooks run as on commit."""
    subscription = {
        "id": trial.json()["id"],
        "customer": reader.billing_customer.stripe_customer_id,
    }
    send(client, captured, "customer.subscription.trial_will_end", subscription)


def test_a_german_reader_reads_euro_amounts_in_german(
    client, django_capture_on_commit_callbacks, plans, reader, reader_client, stripe
):
    trial = trial_from(reader_client, country="DE")
    assert trial.status_code == 201, trial.json()
    trial_will_end(client, django_capture_on_commit_callbacks, reader, trial)
    text, html = bodies("Your free trial ends soon")
    assert "costs 9,99\xa0€ per month" in text
    assert "9,99\xa0€" in html
    assert "EUR" not in text

    past_trial_end(stripe, trial.json())
    invoice_id = sync(trial.json()["id"]).latest_invoice_id
    send(client, django_capture_on_commit_callbacks, "invoice.paid", {"id": invoice_id})

    text, html = bodies("Your payment receipt")
    assert "your payment of 9,99\xa0€" in text
    # 19% German VAT inside the price: 9.99 / 1.19 = 8.39 net.
    assert "Net 8,39\xa0€, tax 1,60\xa0€, total 9,99\xa0€." in text
    assert "tax 1,60\xa0€" in html


def test_a_reader_without_a_country_reads_the_sites_locale(
    client, django_capture_on_commit_callbacks, plans, reader, reader_client
):
    trial = trial_from(reader_client)
    trial_will_end(client, django_capture_on_commit_callbacks, reader, trial)

    text, _ = bodies("Your free trial ends soon")
    assert "costs $9.99 per month" in text
