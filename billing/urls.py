from django.urls import path

from billing import api

urlpatterns = [
    path("subscription/", api.SubscriptionDetailApi.as_view(), name="billing-subscription"),
    path(
        "subscription/resume/",
        api.SubscriptionResumeApi.as_view(),
        name="billing-subscription-resume",
    ),
    path(
        "subscription/pause/",
        api.SubscriptionPauseApi.as_view(),
        name="billing-subscription-pause",
    ),
    path(
        "subscription/change-plan/",
        api.SubscriptionChangePlanApi.as_view(),
        name="billing-subscription-change-plan",
    ),
    path("payment-method/", api.PaymentMethodApi.as_view(), name="billing-payment-method"),
    path("setup-intent/", api.SetupIntentApi.as_view(), name="billing-setup-intent"),
    path("invoices/", api.InvoiceListApi.as_view(), name="billing-invoices"),
    path("webhooks/stripe/", api.StripeWebhookApi.as_view(), name="billing-stripe-webhook"),
]
