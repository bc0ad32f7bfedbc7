"""API views: thin wrappers over :mod:`crosssell_app.serving.lists`, :mod:`~crosssell_app.tracking.recording` and training.

Each operation's schema names every status it answers with (:func:`.schema.errors`), so the
OpenAPI document is a contract a client can rely on; ``tests/api/test_schemathesis.py`` holds
the answers to it.
"""

from __future__ import annotations

import functools
import re
from contextlib import contextmanager
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView
from rest_framework import status, viewsets
from rest_framework.authentication import BasicAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.routers import APIRootView

from ..experiments.assignment import arm_for_request
from ..serving import lists as serving
from ..serving.attribution import WIDGETS, attribution_token, record_token_event
from ..tracking import recording as tracking
from ..models import Experiment, Kind, Order, TrainingRun
from ..serving.params import parse_product_pk
from ..products import get_adapter
from ..serving.rules import default_rules
from .authentication import NulSafeBasicAuthentication
from .parsers import BoundedJSONParser
from .policies import SettingsPolicyMixin
from .schema import errors
from .serializers import (
    BasketSerializer,
    ExperimentReportSerializer,
    ListParamsSerializer,
    OrderResultSerializer,
    OrderSerializer,
    PickListSerializer,
    PickSerializer,
    ReportParamsSerializer,
    ProductViewSerializer,
    RecordedSerializer,
    RetrainResultSerializer,
    TrainingRunSerializer,
    WidgetEventSerializer,
)

PRODUCT_ID = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The product's id.")
PRODUCT_LIST_RESPONSES = {200: PickListSerializer, **errors(400, 404)}


def _picks_response(picks: list[serving.Pick], widget: str | None = None, arm=None) -> Response:
    """Return ``picks`` shaped as :class:`PickListSerializer` would, without building a serializer per request.

    Building the serializer (DRF deep-copies its declared fields for each instance) cost more than
    the list's query, so the same fields are written here as plain values; the schema still names
    ``PickListSerializer``, and tests compare the two. A list of one of the ``widget`` kinds
    clicks are recorded for carries its signed ``click_token`` (with the experiment ``arm``).
    """
    version = picks[0].version if picks else None
    arm_id = None if arm is None else arm.pk
    token = (attribution_token(widget, targets=[pick.pk for pick in picks], version=version, arm=arm_id,
                               source=picks[0].source_id if widget in ("together", "upgrade") else None)
             if picks and widget in WIDGETS else None)
    return Response({"version": None if version is None else int(version),
                     "results": [_pick_data(pick) for pick in picks], "arm": arm_id, "click_token": token})


@contextmanager
def _experiment(request, params, widget: str):
    """Serve the list as the visitor's experiment arm says; yield the arm (None outside experiments) and the params.

    The visitor is the ``visitor`` parameter, else the calling session or user. A version arm's
    lists are read from its version, a configuration arm's options replace the request's (in the
    params yielded); the view gives the control arm no picks.
    """
    arm = arm_for_request(request, widget, params.validated_data.get("visitor"))
    if arm is None:
        yield None, params
        return
    if arm.options:
        options = {key: Decimal(str(value)) if key in ("min_price", "max_price") and value is not None else value
                   for key, value in arm.options.items()}
        replaced = _PlainListParams(None)
        replaced.validated_data = {**params.validated_data, **options}
        params = replaced
    with serving.serving_version(arm.version_id):
        yield arm, params


def _session_key(request) -> str:
    """Return the request's session key, or "" (an API client without a session has no views to read)."""
    return getattr(getattr(request, "session", None), "session_key", None) or ""


def _pick_data(pick: serving.Pick) -> dict:
    """Return one pick as :class:`~.serializers.PickSerializer` represents it (``None`` stays ``None``)."""
    title, url, image, explanation = pick.title, pick.url, pick.image, pick.explanation
    return {
        "id": pick.pk,
        "title": None if title is None else str(title),
        "url": None if url is None else str(url),
        "price": None if pick.price is None else _price_field().to_representation(pick.price),
        "image": None if image is None else str(image),
        "rank": None if pick.rank is None else int(pick.rank),
        "score": None if pick.score is None else float(pick.score),
        "pinned": None if pick.pinned is None else bool(pick.pinned),
        "kind": str(pick.kind),
        "explanation": None if explanation is None else {str(key): value for key, value in explanation.items()},
    }


@functools.cache
def _price_field():
    """Return the serializer's own price field, bound once: it reads DRF's decimal settings when used."""
    return PickSerializer().fields["price"]


class _PlainListParams:
    """What :class:`ListParamsSerializer` validates from a query string holding at most a plain ``limit``."""

    def __init__(self, limit: int | None) -> None:
        self.validated_data = {} if limit is None else {"limit": limit}

    filters = ListParamsSerializer.filters
    clamped_limit = ListParamsSerializer.clamped_limit


_PLAIN_LIMIT = re.compile(r"[1-9][0-9]{0,8}")


def _params(request, serializer_class=ListParamsSerializer, data=None) -> ListParamsSerializer:
    if data is None and serializer_class is ListParamsSerializer:
        # The common request (no filters, a plain positive ``limit``) skips building a serializer;
        # anything else, errors included, goes through it.
        query = request.query_params
        if not query:
            return _PlainListParams(None)
        if len(query) == 1 and _PLAIN_LIMIT.fullmatch(query.get("limit", "")):
            return _PlainListParams(int(query["limit"]))
    params = serializer_class(data=request.query_params if data is None else data)
    params.is_valid(raise_exception=True)
    return params


class GuardedInputMixin:
    """Read bodies with :class:`BoundedJSONParser` and Basic credentials with :class:`NulSafeBasicAuthentication`.

    The host's parser and authentication classes (``REST_FRAMEWORK`` settings) are kept; only
    DRF's own JSON parser and Basic authentication, which let hostile input reach a 500, are
    replaced by their guarded subclasses.
    """

    def get_parsers(self):
        return [BoundedJSONParser() if type(parser) is JSONParser else parser for parser in super().get_parsers()]

    def get_authenticators(self):
        return [NulSafeBasicAuthentication() if type(authenticator) is BasicAuthentication else authenticator
                for authenticator in super().get_authenticators()]


class ProductListsViewSet(GuardedInputMixin, SettingsPolicyMixin, viewsets.ViewSet):
    """Published lists for one product: bought together, upgrades, similar."""

    lookup_value_regex = "[^/]+"

    def _lists(self, request, pk: str, kind: str, default_limit: int) -> Response:
        try:
            product_pk = parse_product_pk(pk)
        except DjangoValidationError as exc:
            raise ValidationError({"id": exc.messages})
        params = _params(request)
        widget = {Kind.BOUGHT_TOGETHER: "together", Kind.UPGRADE: "upgrade"}.get(kind, kind)
        with _experiment(request, params, widget) as (arm, params):
            picks = [] if arm is not None and arm.is_control else serving.for_product(
                kind, product_pk, limit=params.clamped_limit(default_limit), rules=default_rules(**params.filters()))
        # Rows exist only for existing sources, so look the product up only when no row proves it.
        proven = any(pick.source_id == product_pk for pick in picks)
        if not proven and not get_adapter().model._default_manager.filter(pk=product_pk).exists():
            raise NotFound(_("No such product."))
        return _picks_response(picks, widget, arm)

    @extend_schema(parameters=[PRODUCT_ID, ListParamsSerializer], responses=PRODUCT_LIST_RESPONSES)
    @action(detail=True, methods=["get"])
    def together(self, request, pk: str) -> Response:
        """Products frequently bought together with this one."""
        return self._lists(request, pk, Kind.BOUGHT_TOGETHER, 3)

    @extend_schema(parameters=[PRODUCT_ID, ListParamsSerializer], responses=PRODUCT_LIST_RESPONSES)
    @action(detail=True, methods=["get"])
    def upgrades(self, request, pk: str) -> Response:
        """Better, dearer alternatives to this product, with why."""
        return self._lists(request, pk, Kind.UPGRADE, 3)

    @extend_schema(parameters=[PRODUCT_ID, ListParamsSerializer], responses=PRODUCT_LIST_RESPONSES)
    @action(detail=True, methods=["get"])
    def similar(self, request, pk: str) -> Response:
        """Products like this one, at any price."""
        return self._lists(request, pk, Kind.SIMILAR, 8)


class ForYouViewSet(GuardedInputMixin, SettingsPolicyMixin, viewsets.ViewSet):
    """The current visitor's own picks, following their latest order and views; nobody else's.

    An anonymous visitor's come from this session's views (best sellers before any view).
    """

    @extend_schema(parameters=[ListParamsSerializer], responses={200: PickListSerializer, **errors(400)})
    def list(self, request) -> Response:
        params = _params(request)
        with _experiment(request, params, "for_you") as (arm, params):
            picks = [] if arm is not None and arm.is_control else serving.for_visitor(
                request.user, _session_key(request), limit=params.clamped_limit(8),
                rules=default_rules(user=request.user, **params.filters()))
        return _picks_response(picks, "for_you", arm)


class BuyAgainViewSet(GuardedInputMixin, SettingsPolicyMixin, viewsets.ViewSet):
    """The signed-in customer's repeat purchases, most bought (recent orders weighing more) first.

    Each pick's explanation holds ``times_bought`` and ``last_bought`` (ISO date). Empty for a
    visitor who is not signed in.
    """

    @extend_schema(parameters=[ListParamsSerializer], responses={200: PickListSerializer, **errors(400)})
    def list(self, request) -> Response:
        params = _params(request)
        picks = serving.buy_it_again(request.user, limit=params.clamped_limit(6), rules=default_rules(**params.filters()))
        return _picks_response(picks)


class BasketViewSet(GuardedInputMixin, SettingsPolicyMixin, viewsets.ViewSet):
    """Basket completion: what goes with the products in a basket."""

    @extend_schema(request=BasketSerializer, responses={200: PickListSerializer, **errors(400, 415)})
    def create(self, request) -> Response:
        params = _params(request, BasketSerializer, request.data)
        ids = params.validated_data["product_ids"]
        with _experiment(request, params, "cart") as (arm, params):
            picks = [] if arm is not None and arm.is_control else serving.for_basket(
                ids, limit=params.clamped_limit(4), rules=default_rules(**params.filters()), user=request.user)
        return _picks_response(picks, "cart", arm)


class ProductViewEventViewSet(GuardedInputMixin, SettingsPolicyMixin, viewsets.ViewSet):
    """Product views reported by the shop's server (or a trusted client) for a user or session."""

    permission_setting = "API_WRITE_PERMISSION_CLASSES"

    @extend_schema(request=ProductViewSerializer, responses={201: RecordedSerializer, **errors(400, 415)})
    def create(self, request) -> Response:
        body = ProductViewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        product_pk = body.validated_data["product"]
        if not get_adapter().model._default_manager.filter(pk=product_pk).exists():
            raise ValidationError({"product": [_("No such product.")]})
        user, session_key = body.validated_data.get("user"), body.validated_data.get("session_key", "")
        if user is None and not session_key:
            user, session_key = tracking.visitor(request)
        tracking.record_view(product_pk, user=user, session_key=session_key,
                             source_widget=body.validated_data.get("widget", ""))
        return Response(RecordedSerializer({"recorded": True}).data, status=status.HTTP_201_CREATED)


class OrderViewSet(GuardedInputMixin, SettingsPolicyMixin, viewsets.ViewSet):
    """Orders reported by the shop's server; a repeated order id changes nothing."""

    permission_setting = "API_WRITE_PERMISSION_CLASSES"

    @extend_schema(request=OrderSerializer,
                   responses={201: OrderResultSerializer, 200: OrderResultSerializer, **errors(400, 415)})
    def create(self, request) -> Response:
        body = OrderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lines = [(line["product"], line["quantity"], line["unit_price"]) for line in data["lines"]]
        wanted = {pk for pk, _quantity, _price in lines}
        known = set(get_adapter().model._default_manager.filter(pk__in=wanted).values_list("pk", flat=True))
        if wanted - known:
            raise ValidationError({"lines": [_("Unknown products: %(ids)s.") % {"ids": sorted(map(str, wanted - known))}]})
        try:
            order, created = tracking.record_order(
                data["order_id"], lines, user=data.get("user"), session_key=data.get("session_key", ""),
                customer_ref=data.get("customer_ref", ""), ordered_at=data.get("ordered_at"), source=Order.Source.API,
            )
        except tracking.OrderRefused as exc:
            raise ValidationError({exc.field: [str(exc)]})
        result = {"order_id": order.external_id, "created": created, "lines": order.lines.count()}
        return Response(OrderResultSerializer(result).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class WidgetEventViewSet(GuardedInputMixin, SettingsPolicyMixin, viewsets.ViewSet):
    """Clicks on, and adds to cart from, the picks of an API list, named by the list's ``click_token``.

    An API client shows the picks itself, so the click redirect never sees them; reporting them
    here attributes the shopper's later order to the list's widget, version and experiment arm.
    """

    permission_setting = "API_WRITE_PERMISSION_CLASSES"

    @extend_schema(request=WidgetEventSerializer, responses={201: RecordedSerializer, **errors(400, 415)})
    def create(self, request) -> Response:
        body = WidgetEventSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user, session_key = data.get("user"), data.get("session_key", "")
        if user is None and not session_key:
            user, session_key = tracking.visitor(request)
        try:
            record_token_event(data["token"], data["product"], add_to_cart=data["event"] == "add_to_cart",
                               user=user, session_key=session_key, visitor=data.get("visitor", ""))
        except ValueError as exc:
            raise ValidationError({"token": [str(exc)]})
        return Response(RecordedSerializer({"recorded": True}).data, status=status.HTTP_201_CREATED)


class ExperimentViewSet(GuardedInputMixin, SettingsPolicyMixin, viewsets.ViewSet):
    """Experiments' reports (admins only), as the admin's report page shows them."""

    permission_setting = "API_ADMIN_PERMISSION_CLASSES"
    lookup_value_regex = "[^/]+"  # any id gets the API's own JSON answer: 404 when it names no experiment

    @extend_schema(parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH),
                               ReportParamsSerializer],
                   responses={200: ExperimentReportSerializer, **errors(400, 404)})
    @action(detail=True, methods=["get"])
    def report(self, request, pk: str) -> Response:
        """Per arm: visitors, click-through, conversion, order value and revenue per visitor with 95 % intervals,
        the difference to the control, and the sample-ratio check."""
        experiment = Experiment.objects.filter(pk=int(pk)).first() if pk.isascii() and pk.isdigit() and len(pk) < 19 \
            else None
        if experiment is None:
            raise NotFound(_("No such experiment."))
        params = ReportParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        from ..experiments.report import experiment_report  # NumPy and SciPy: loaded by the report alone

        return Response(experiment_report(experiment, params.validated_data["confidence"]))


class TrainingRunPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


# Outside ATOMIC_REQUESTS: a retrain is sent to the broker when its run commits, and the answer
# says whether that worked, so the run must commit before the view answers.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
@extend_schema_view(list=extend_schema(responses={200: TrainingRunSerializer, **errors()}),
                    retrieve=extend_schema(responses={200: TrainingRunSerializer, **errors(404)}))
class TrainingRunViewSet(GuardedInputMixin, SettingsPolicyMixin, viewsets.ReadOnlyModelViewSet):
    """Training runs with their progress, timings and metrics (admins only), and a retrain trigger."""

    permission_setting = "API_ADMIN_PERMISSION_CLASSES"
    queryset = TrainingRun.objects.all()
    serializer_class = TrainingRunSerializer
    pagination_class = TrainingRunPagination
    lookup_value_regex = "[^/]+"  # any id gets the API's own JSON answer: 404 when it names no run

    @extend_schema(request=None, responses={
        202: OpenApiResponse(RetrainResultSerializer, description="Queued for a worker, or merged into the run "
                                                                  "already queued or running (status coalesced)."),
        503: OpenApiResponse(RetrainResultSerializer, description="The broker refused the task: the run is failed, "
                                                                  "and `error` says why."),
        **errors(),
    })
    @action(detail=False, methods=["post"])
    def retrain(self, request) -> Response:
        """Queue a retrain: 202 with the run's id once the broker took it (a worker does the work), else 503."""
        from .. import retraining

        run = retraining.request_retrain(trigger=TrainingRun.Trigger.API, user=request.user)
        run.refresh_from_db(fields=["status", "error"])  # sending it, on commit (here: at once), may have failed it
        refused = run.status == TrainingRun.Status.FAILED
        return Response(RetrainResultSerializer({"run": run.pk, "status": run.status, "error": run.error}).data,
                        status=status.HTTP_503_SERVICE_UNAVAILABLE if refused else status.HTTP_202_ACCEPTED)


class SchemaView(GuardedInputMixin, SpectacularAPIView):
    """The OpenAPI document, read with the same guarded authentication as the API it describes."""


class RootView(GuardedInputMixin, APIRootView):
    """The router's index of the API, read with the same guarded authentication."""
