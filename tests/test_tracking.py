"""Recording views and orders from the host, and forgetting a user."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from crosssell_app.models import Order, OrderLine, ProductView, Recommendation, RecommendationVersion, WidgetEvent
from crosssell_app.signals import order_recorded, product_viewed
from crosssell_app.tracking.recording import Line, forget_user, record_order, record_view
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_order_is_stored_with_its_lines():
    mug, plate = ItemFactory(), ItemFactory()
    order, created = record_order("A-1", [(mug, 2, "3.50"), Line(plate.pk, 1, Decimal("9.99"))])
    assert created
    lines = {line.product_id: (line.quantity, line.unit_price) for line in order.lines.all()}
    assert lines == {mug.pk: (2, Decimal("3.50")), plate.pk: (1, Decimal("9.99"))}


def test_a_repeated_order_id_is_counted_once():
    mug = ItemFactory()
    first, created_first = record_order("A-1", [(mug, 1, 3)])
    second, created_second = record_order("A-1", [(mug, 5, 3)])
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Order.objects.count() == 1
    assert OrderLine.objects.get().quantity == 1


def test_the_database_refuses_a_second_order_with_the_same_id():
    Order.objects.create(external_id="A-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(external_id="A-1")


def test_the_same_product_twice_in_one_order_is_one_line_with_the_quantities_summed():
    mug = ItemFactory()
    order, _ = record_order("A-2", [(mug, 1, 3), (mug, 2, 3)])
    assert [(line.product_id, line.quantity) for line in order.lines.all()] == [(mug.pk, 3)]


@pytest.mark.parametrize("lines, message", [
    ([], "at least one line"),
    ([("PRODUCT", 0, 1)], "quantity must be positive"),
    ([("PRODUCT", 1, -1)], "must not be negative"),
])
def test_a_malformed_order_is_refused_and_nothing_is_stored(lines, message):
    mug = ItemFactory()
    lines = [(mug if p == "PRODUCT" else p, q, price) for p, q, price in lines]
    with pytest.raises(ValueError, match=message):
        record_order("BAD", lines)
    assert not Order.objects.exists()


@pytest.mark.parametrize("order_id, lines, customer_ref, message", [
    ("A" * 80, [("PRODUCT", 1, 1)], "", "order id"),
    ("A\x00B", [("PRODUCT", 1, 1)], "", "NUL"),
    ("A-5", [("PRODUCT", 99999999999, 1)], "", "quantity"),
    ("A-5", [("PRODUCT", 1, "123456789012")], "", "price"),
    ("A-5", [("PRODUCT", 1, "1.23456")], "", "price"),
    ("A-5", [("PRODUCT", 1, "NaN")], "", "price"),
    ("A-5", [("PRODUCT", 1, 1)], "C" * 80, "customer"),
    ("A-5", [("PRODUCT", 1, 1)], "C\x00", "NUL"),
])
def test_an_order_the_database_would_reject_is_refused_before_it_is_written(order_id, lines, customer_ref, message):
    mug = ItemFactory()
    lines = [(mug if p == "PRODUCT" else p, q, price) for p, q, price in lines]
    with pytest.raises(ValueError, match=message):
        record_order(order_id, lines, customer_ref=customer_ref)
    assert not Order.objects.exists()


def test_an_order_dated_beyond_the_clock_skew_is_refused(settings):
    from datetime import datetime, timedelta, timezone as tz

    from django.utils import timezone

    settings.CROSSSELL = {**settings.CROSSSELL, "MAX_CLOCK_SKEW": 60}
    mug = ItemFactory()
    for when in (datetime(9999, 12, 31, tzinfo=tz.utc), timezone.now() + timedelta(seconds=120)):
        with pytest.raises(ValueError, match="future"):
            record_order("F-1", [(mug, 1, 1)], ordered_at=when)
    assert not Order.objects.exists()
    order, created = record_order("F-1", [(mug, 1, 1)], ordered_at=timezone.now() + timedelta(seconds=30))
    assert created


def test_order_recorded_is_sent_once_after_commit(django_capture_on_commit_callbacks):
    mug = ItemFactory()
    received = []
    order_recorded.connect(lambda sender, order, **kw: received.append(order.external_id), weak=False, dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            record_order("A-3", [(mug, 1, 1)])
            record_order("A-3", [(mug, 1, 1)])
    finally:
        order_recorded.disconnect(dispatch_uid="t")
    assert received == ["A-3"]


def test_a_purchase_after_a_widget_click_is_attributed_to_that_widget():
    user, mug = UserFactory(), ItemFactory()
    WidgetEvent.objects.create(event="click", widget="together", version=4, target=mug, user=user)
    order, _ = record_order("A-4", [(mug, 1, 1)], user=user)
    line = order.lines.get()
    assert (line.attributed_widget, line.attributed_version) == ("together", 4)


def test_the_view_mixin_records_a_view_with_the_widget_that_led_there(client):
    item = ItemFactory()
    response = client.get(f"/items/{item.pk}/?cs=upgrade")
    assert response.status_code == 200
    view = ProductView.objects.get()
    assert (view.product_id, view.source_widget, view.user_id) == (item.pk, "upgrade", None)
    assert view.session_key


def test_a_signed_in_view_is_recorded_against_the_user(client):
    user, item = UserFactory(), ItemFactory()
    client.force_login(user)
    client.get(f"/items/{item.pk}/")
    assert ProductView.objects.get().user == user


def test_a_missing_product_page_records_nothing(client):
    assert client.get("/items/999999/").status_code == 404
    assert not ProductView.objects.exists()


def test_a_host_can_announce_a_view_with_the_signal(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    item = ItemFactory()
    request = rf.get("/anything")
    request.user, request.session = AnonymousUser(), SessionStore()
    product_viewed.send(sender=type(item), product=item, request=request)
    assert ProductView.objects.filter(product=item, session_key=request.session.session_key).exists()


def test_no_ip_address_or_personal_field_is_stored():
    personal = ("ip", "email", "name", "address", "user_agent")
    for model in (ProductView, Order, OrderLine, WidgetEvent):
        names = [f.name for f in model._meta.get_fields()]
        assert not [n for n in names if any(p in n for p in personal)], model


def _history_for(user, item):
    record_view(item, user=user)
    record_order(f"U-{user.pk}", [(item, 1, 1)], user=user)
    WidgetEvent.objects.create(event="click", widget="together", target=item, user=user)
    version = RecommendationVersion.objects.create()
    Recommendation.objects.create(version=version, kind="for_you", user=user, target=item, rank=1, score=1)


def test_forget_user_deletes_their_events_and_personal_picks_and_nobody_elses():
    alice, bob, item = UserFactory(), UserFactory(), ItemFactory()
    _history_for(alice, item)
    _history_for(bob, item)
    deleted = forget_user(alice)
    assert sum(deleted.values()) >= 4
    for model in (ProductView, Order, WidgetEvent, Recommendation):
        assert not model.objects.filter(user=alice).exists()
        assert model.objects.filter(user=bob).exists()


def test_deleting_a_user_deletes_their_events():
    alice, item = UserFactory(), ItemFactory()
    _history_for(alice, item)
    alice.delete()
    for model in (ProductView, Order, WidgetEvent, Recommendation):
        assert not model.objects.exists()


def test_forget_a_customer_reference_of_imported_history():
    item = ItemFactory()
    record_order("H-1", [(item, 1, 1)], customer_ref="17850")
    record_order("H-2", [(item, 1, 1)], customer_ref="12345")
    forget_user(customer_ref="17850")
    assert list(Order.objects.values_list("external_id", flat=True)) == ["H-2"]
