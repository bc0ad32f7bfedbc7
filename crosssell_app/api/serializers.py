"""Request and response shapes of the API, each field listed explicitly."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from ..models import TrainingRun
from ..serving.params import clamp_limit, parse_pk
from ..serving.rules import split_words
from ..tracking import order_rows
from .fields import ProductIdField

#: most products one basket or order may name; a larger body is refused rather than processed
MAX_ITEMS = 500
#: what a visitor key may hold: an opaque id, no spaces or markup
VISITOR_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


class PickSerializer(serializers.Serializer):
    """One recommended product."""

    id = ProductIdField(source="pk", read_only=True)
    title = serializers.CharField()
    url = serializers.CharField()
    price = serializers.DecimalField(max_digits=None, decimal_places=None, allow_null=True)
    image = serializers.CharField()
    rank = serializers.IntegerField()
    score = serializers.FloatField()
    pinned = serializers.BooleanField()
    kind = serializers.CharField(help_text=_(
        "The list the pick comes from: the list's own kind, 'trending' for a best seller that fills up "
        "personal picks, or 'buy_again' for a repeat purchase."))
    explanation = serializers.DictField(help_text=_(
        "Why it is recommended; keys depend on the kind of list. Products are named by their ids "
        "(a personal pick's because_of)."))


@extend_schema_serializer(many=False)  # one object, also where the route is a viewset's ``list`` (for-you)
class PickListSerializer(serializers.Serializer):
    """A list of picks, the published version they come from, and what attributes a sale to them."""

    version = serializers.IntegerField(allow_null=True)
    results = PickSerializer(many=True)
    arm = serializers.IntegerField(allow_null=True, help_text=_(
        "The experiment arm the visitor is in for this list, if an experiment runs on it. The control arm "
        "gets no picks: show no widget."))
    click_token = serializers.CharField(allow_null=True, help_text=_(
        "Signed token naming this list (widget, version, arm, products). Send it to clicks/ when the shopper "
        "clicks a pick or adds one to the cart, so a later order is attributed to the list."))


class ListParamsSerializer(serializers.Serializer):
    """Length and filters of a list; ``limit`` above ``MAX_LIMIT`` is clamped, not refused."""

    limit = serializers.IntegerField(required=False, min_value=1,
                                     help_text=_("How many products (clamped to MAX_LIMIT)."))
    category = serializers.CharField(required=False, max_length=500, help_text=_("Only these categories, comma-separated."))
    exclude_category = serializers.CharField(required=False, max_length=500,
                                             help_text=_("Not these categories, comma-separated."))
    min_price = serializers.DecimalField(required=False, max_digits=14, decimal_places=4, min_value=0)
    max_price = serializers.DecimalField(required=False, max_digits=14, decimal_places=4, min_value=0)
    cross_category = serializers.BooleanField(required=False, default=False, help_text=_(
        "Only products of other categories than the one(s) the list is about (ignored by personal picks)."))
    visitor = serializers.RegexField(VISITOR_PATTERN, required=False, max_length=64, help_text=_(
        "An opaque, stable key of the shopper the list is for (experiments assign by it); without it, the "
        "calling session's or user's own."))

    def validate(self, attrs):
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"max_price": _("max_price must not be below min_price.")})
        return attrs

    def filters(self) -> dict:
        """Return the validated filters as :func:`crosssell_app.serving.rules.default_rules` keywords."""
        data = self.validated_data
        return {
            "categories": split_words(data.get("category")),
            "exclude_categories": split_words(data.get("exclude_category")),
            "min_price": data.get("min_price"),
            "max_price": data.get("max_price"),
            "cross_category": data.get("cross_category", False),
        }

    def clamped_limit(self, default: int) -> int:
        """Return the validated ``limit`` (or ``default``) clamped as every list length is."""
        return clamp_limit(self.validated_data.get("limit"), default)


class BasketSerializer(ListParamsSerializer):
    """The products in a basket, for basket completion."""

    product_ids = serializers.ListField(child=ProductIdField(), min_length=1, max_length=MAX_ITEMS)


class BuyerMixin(serializers.Serializer):
    """Who acted, as the shop's server reports it: a user id and/or the visitor's session key."""

    user = serializers.CharField(required=False, allow_null=True, max_length=64,
                                 help_text=_("The shop user's id, if the shopper was logged in."))
    session_key = serializers.CharField(required=False, allow_blank=True, max_length=40)

    def validate_user(self, value):
        """Return the user the id names; an unknown or malformed id is refused."""
        if value in (None, ""):
            return None
        model = get_user_model()
        try:
            return model._default_manager.get(pk=parse_pk(model, value, _("user id")))
        except (DjangoValidationError, model.DoesNotExist):
            raise serializers.ValidationError(_("No user has this id."))


class ProductViewSerializer(BuyerMixin):
    """A product page view; without ``user`` and ``session_key`` it is the calling visitor's."""

    product = ProductIdField()
    widget = serializers.SlugField(required=False, allow_blank=True, max_length=32,
                                   help_text=_("The widget whose link led to the view, if any."))


class OrderLineSerializer(serializers.Serializer):
    product = ProductIdField()
    quantity = serializers.IntegerField(min_value=1, max_value=order_rows.MAX_QUANTITY)
    unit_price = serializers.DecimalField(max_digits=order_rows.PRICE_MAX_DIGITS,
                                          decimal_places=order_rows.PRICE_DECIMAL_PLACES, min_value=0)


class OrderSerializer(BuyerMixin):
    """An order the shop's server reports; the same ``order_id`` twice is stored once."""

    order_id = serializers.CharField(max_length=order_rows.MAX_ORDER_ID_LENGTH)
    lines = OrderLineSerializer(many=True, allow_empty=False, max_length=MAX_ITEMS)
    customer_ref = serializers.CharField(required=False, allow_blank=True, max_length=order_rows.MAX_CUSTOMER_REF_LENGTH)
    ordered_at = serializers.DateTimeField(required=False)

    def validate_order_id(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("order_id must not be blank."))
        return value.strip()


class WidgetEventSerializer(BuyerMixin):
    """A shopper clicked a pick of an API list, or added it to the cart, as the list's ``click_token`` names it."""

    token = serializers.CharField(max_length=4000, help_text=_("The click_token of the list the product was in."))
    product = ProductIdField()
    event = serializers.ChoiceField(choices=["click", "add_to_cart"], default="click")
    visitor = serializers.RegexField(VISITOR_PATTERN, required=False, max_length=64, help_text=_(
        "The visitor key the list was asked for, so the event counts for the shopper in their experiment arm."))


class EstimateSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True, help_text=_("Lower end of the confidence interval."))
    high = serializers.FloatField(allow_null=True, help_text=_("Upper end of the confidence interval."))


class DifferencesSerializer(serializers.Serializer):
    ctr = EstimateSerializer()
    cart_add_rate = EstimateSerializer()
    conversion = EstimateSerializer()
    aov = EstimateSerializer()
    revenue_per_visitor = EstimateSerializer()


class ArmReportSerializer(DifferencesSerializer):
    """One arm's figures; each rate and mean with its interval, and its difference to the control."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    options = serializers.DictField()
    share = serializers.IntegerField()
    is_control = serializers.BooleanField()
    visitors = serializers.IntegerField()
    clicks = serializers.IntegerField()
    cart_adds = serializers.IntegerField()
    orders = serializers.IntegerField()
    revenue = serializers.FloatField()
    estimated_impressions = serializers.IntegerField(allow_null=True)
    difference = DifferencesSerializer(allow_null=True)


class ExperimentSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    widgets = serializers.ListField(child=serializers.CharField())
    started_at = serializers.CharField(allow_null=True)
    stopped_at = serializers.CharField(allow_null=True)
    winner = serializers.IntegerField(allow_null=True)


class SampleRatioSerializer(serializers.Serializer):
    observed = serializers.ListField(child=serializers.IntegerField())
    expected = serializers.ListField(child=serializers.FloatField())
    chi_square = serializers.FloatField()
    p_value = serializers.FloatField()
    mismatch = serializers.BooleanField()


class ExperimentReportSerializer(serializers.Serializer):
    """An experiment's report (``crosssell_app.experiments.report``)."""

    experiment = ExperimentSummarySerializer()
    confidence = serializers.FloatField()
    control = serializers.IntegerField(allow_null=True)
    arms = ArmReportSerializer(many=True)
    sample_ratio = SampleRatioSerializer(allow_null=True)
    warnings = serializers.ListField(child=serializers.CharField())


class ReportParamsSerializer(serializers.Serializer):
    confidence = serializers.FloatField(required=False, default=0.95, min_value=0.5, max_value=0.999,
                                        help_text=_("Confidence level of the intervals (0.5 to 0.999)."))


class OrderResultSerializer(serializers.Serializer):
    order_id = serializers.CharField()
    created = serializers.BooleanField()
    lines = serializers.IntegerField()


class RecordedSerializer(serializers.Serializer):
    recorded = serializers.BooleanField()


class TrainingRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingRun
        fields = [
            "id", "status", "trigger", "requested_at", "started_at", "finished_at", "heartbeat_at",
            "current_step", "progress", "timings", "data_sizes", "metrics", "error", "version",
        ]
        read_only_fields = fields


class RetrainResultSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    status = serializers.CharField()
    error = serializers.CharField(allow_blank=True, help_text=_("Why the run failed; empty unless it did."))

