"""Input and output shapes of the newsletters endpoints (docs/api.md, "Newsletters")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from newsletters.models import Newsletter


class NewsletterOutput(serializers.ModelSerializer):
    class Meta:
        model = Newsletter
        fields = ("slug", "name", "description", "frequency", "audience", "default_at_registration")


@extend_schema_field(serializers.ListField(child=serializers.SlugField(max_length=64)))
class _SlugList(serializers.JSONField):
    """A list of newsletter slugs, checked here so that any error is one flat message
    (the error contract's `fields` holds lists of messages, not nested objects)."""

    def __init__(self, *, min_length: int, **kwargs: Any) -> None:
        self.min_length = min_length
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:  # a list of slugs
        data = super().to_internal_value(data)
        slug = serializers.SlugField(max_length=64)
        if (
            not isinstance(data, list)
            or not self.min_length <= len(data) <= 20
            or not all(isinstance(item, str) for item in data)
        ):
            raise serializers.ValidationError(
                f"A list of {self.min_length} to 20 newsletter slugs.", code="invalid"
            )
        return [slug.run_validation(item) for item in data]


class SubscribeInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    newsletters = _SlugList(min_length=1)
    source_page = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Where the form was."
    )


class NewslettersChoice(serializers.Serializer):
    """At registration: the newsletters the reader ticked (none unless they sent them)."""

    newsletters = _SlugList(min_length=0, required=False, default=list)


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


@extend_schema_field(PreferenceItem(many=True))
class _PreferenceItems(serializers.JSONField):
    """A list of {slug, subscribed}, checked here so that any error is one flat message
    (the error contract's `fields` holds lists of messages, not nested objects)."""

    MESSAGE = "A list of 1 to 50 items, each {slug, subscribed: true|false}."

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        data = super().to_internal_value(data)
        if not isinstance(data, list) or not 1 <= len(data) <= 50:
            raise serializers.ValidationError(self.MESSAGE)
        items = []
        for raw in data:
            item = PreferenceItem(data=raw)
            if not isinstance(raw, dict) or not item.is_valid():
                raise serializers.ValidationError(self.MESSAGE)
            items.append(dict(item.validated_data))
        return items


class PreferencesInput(serializers.Serializer):
    newsletters = _PreferenceItems()


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
