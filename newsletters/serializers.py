"""Input and output shapes of the newsletters endpoints (docs/api.md, "Newsletters")."""

from __future__ import annotations

from rest_framework import serializers

from newsletters.models import Newsletter


class NewsletterOutput(serializers.ModelSerializer):
    class Meta:
        model = Newsletter
        fields = ("slug", "name", "description", "frequency", "audience", "default_at_registration")


class SubscribeInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    newsletters = serializers.ListField(
        child=serializers.SlugField(max_length=64), min_length=1, max_length=20
    )
    source_page = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Where the form was."
    )


class NewslettersChoice(serializers.Serializer):
    """At registration: the newsletters the reader ticked (none unless they sent them)."""

    newsletters = serializers.ListField(
        child=serializers.SlugField(max_length=64), required=False, max_length=20, default=list
    )


class ConfirmInput(serializers.Serializer):
    token = serializers.CharField(max_length=2000)


class ConfirmOutput(serializers.Serializer):
    newsletters = serializers.ListField(child=serializers.SlugField())


class PreferenceItem(serializers.Serializer):
    slug = serializers.SlugField(max_length=64)
    subscribed = serializers.BooleanField()


class PreferenceOutput(PreferenceItem):
    name = serializers.CharField()
    description = serializers.CharField()
    frequency = serializers.CharField()
    audience = serializers.CharField()


class PreferencesInput(serializers.Serializer):
    newsletters = serializers.ListField(child=PreferenceItem(), min_length=1, max_length=50)


class PreferencesOutput(serializers.Serializer):
    newsletters = PreferenceOutput(many=True)
    awaiting_confirmation = serializers.ListField(
        child=serializers.SlugField(),
        help_text="Ticked with an unverified email: a confirmation email was sent.",
    )


class FeedItemOutput(serializers.Serializer):
    id = serializers.UUIDField(help_text="The subscription's id (stable across add and remove).")
    action = serializers.ChoiceField(choices=("added", "removed"))
    email_sha256 = serializers.CharField()
    at = serializers.DateTimeField()
    email = serializers.EmailField(
        required=False, allow_null=True, help_text="added only; null once removed or erased"
    )
    unsubscribe_url = serializers.URLField(required=False)
    list_unsubscribe = serializers.CharField(required=False)
    list_unsubscribe_post = serializers.CharField(required=False)


class FeedOutput(serializers.Serializer):
    results = FeedItemOutput(many=True)
    next = serializers.CharField(allow_null=True, help_text="More to read: call again with it.")
    cursor = serializers.CharField(help_text="Where the next sync starts (always set).")
