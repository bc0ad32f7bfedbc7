"""Clicks through widget links, orders attributed to them, and the admin report."""

from decimal import Decimal

import pytest

from django.contrib.sessions.models import Session
from django.core.cache import cache

from crosssell_app.models import OrderLine, ProductView, RecommendationVersion, WidgetEvent
from crosssell_app.tracking.recording import record_order
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


class Clock:
    """Stands in for the ``time`` module of the click budget, so a test never straddles two minutes."""

    def __init__(self):
        self.now = 1_700_000_000.0

    def time(self):
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Every test starts with the whole per-minute click budget (the counters live in the cache)."""
    from crosssell_app.serving import attribution

    clock = Clock()
    monkeypatch.setattr(attribution, "time", clock)
    cache.clear()
    yield clock
    cache.clear()


def test_a_click_is_recorded_and_redirects_to_the_product_with_the_widget(client):
    mug, plate = ItemFactory(), ItemFactory()
    version = RecommendationVersion.objects.create(complete=True)
    response = client.get(f"/recommendations/click/together/{plate.pk}/?from={mug.pk}&v={version.pk}")
    assert response.status_code == 302
    assert response["Location"] == f"/items/{plate.pk}/?cs=together"
    click = WidgetEvent.objects.get()
    assert (click.event, click.widget, click.source_id, click.target_id, click.version) == (
        "click", "together", mug.pk, plate.pk, version.pk)
    assert click.session_key == client.session.session_key


@pytest.mark.parametrize("widget", ["together", "upgrade", "for_you", "cart"])
def test_the_click_of_every_widget_the_tags_render_is_recorded(client, widget):
    plate = ItemFactory()
    assert client.get(f"/recommendations/click/{widget}/{plate.pk}/").status_code == 302
    assert WidgetEvent.objects.get().widget == widget


def test_the_widget_names_the_tags_use_are_the_ones_clicks_accept():
    """A tag whose widget name the click view did not know would lose every click of that widget."""
    import re
    from pathlib import Path

    from crosssell_app.serving.attribution import WIDGETS
    from crosssell_app.templatetags import crosssell_tags

    source = Path(crosssell_tags.__file__).read_text()
    assert set(re.findall(r'widget="([a-z_]+)"', source)) == set(WIDGETS)


def test_a_click_for_a_widget_that_does_not_exist_is_404_and_stores_nothing(client):
    plate = ItemFactory()
    for _ in range(3):
        assert client.get(f"/recommendations/click/fake-widget/{plate.pk}/?v=777").status_code == 404
    assert not WidgetEvent.objects.exists()
    assert not Session.objects.exists()


@pytest.mark.parametrize("raw", ["%C2%B2", "777", "-1", "1.0", "99999999999999999999", "%EF%BC%91"])
def test_a_version_that_is_not_a_published_one_is_dropped_but_the_click_counts(client, raw):
    plate = ItemFactory()
    RecommendationVersion.objects.create(complete=True)
    RecommendationVersion.objects.create(complete=False, pk=777)  # written, never finished
    response = client.get(f"/recommendations/click/together/{plate.pk}/?v={raw}")
    assert response.status_code == 302
    assert list(WidgetEvent.objects.values_list("widget", "version")) == [("together", None)]


def test_clicks_beyond_the_per_minute_budget_still_redirect_but_are_not_stored(client, settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "CLICK_RATE_LIMIT": 5}
    plate = ItemFactory()
    statuses = [client.get(f"/recommendations/click/together/{plate.pk}/").status_code for _ in range(8)]
    assert statuses == [302] * 8
    assert WidgetEvent.objects.count() == 5


def test_cookieless_clicks_beyond_the_budget_create_no_sessions(client, settings):
    """A script that drops the cookie gets a new session per click; the budget is then its address's."""
    settings.CROSSSELL = {**settings.CROSSSELL, "CLICK_RATE_LIMIT": 5}
    plate = ItemFactory()
    for _ in range(8):
        client.cookies.clear()
        assert client.get(f"/recommendations/click/together/{plate.pk}/").status_code == 302
    assert WidgetEvent.objects.count() == 5
    assert Session.objects.count() == 5


def test_each_visitor_has_its_own_click_budget(client, settings):
    from django.test import Client

    settings.CROSSSELL = {**settings.CROSSSELL, "CLICK_RATE_LIMIT": 2}
    plate, other = ItemFactory(), Client()
    other.force_login(UserFactory())
    for _ in range(3):
        client.get(f"/recommendations/click/together/{plate.pk}/")
        other.get(f"/recommendations/click/together/{plate.pk}/")
    assert WidgetEvent.objects.filter(user__isnull=True).count() == 2
    assert WidgetEvent.objects.filter(user__isnull=False).count() == 2


def test_the_budget_is_whole_again_the_next_minute(client, settings, clock):
    settings.CROSSSELL = {**settings.CROSSSELL, "CLICK_RATE_LIMIT": 2}
    plate = ItemFactory()
    for _ in range(3):
        client.get(f"/recommendations/click/together/{plate.pk}/")
    clock.now += 60
    client.get(f"/recommendations/click/together/{plate.pk}/")
    assert WidgetEvent.objects.count() == 3


def test_without_sessions_a_click_counts_once_against_its_address(rf, settings):
    from django.contrib.auth.models import AnonymousUser

    from crosssell_app.serving.attribution import admit_click

    settings.CROSSSELL = {**settings.CROSSSELL, "CLICK_RATE_LIMIT": 2}
    admitted = []
    for _ in range(3):
        request = rf.get("/")
        request.user = AnonymousUser()  # and no ``session``: a host without the session middleware
        admitted.append(admit_click(request))
    assert admitted == [True, True, False]


def test_a_cache_that_fails_lets_clicks_through(client, settings, monkeypatch):
    from crosssell_app.serving import attribution

    def broken(who):
        raise ConnectionError("cache down")

    monkeypatch.setattr(attribution, "_spend", broken)
    plate = ItemFactory()
    assert client.get(f"/recommendations/click/together/{plate.pk}/").status_code == 302
    assert WidgetEvent.objects.count() == 1


def test_a_click_rate_limit_of_zero_records_every_click(client, settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "CLICK_RATE_LIMIT": 0}
    plate = ItemFactory()
    for _ in range(70):
        client.get(f"/recommendations/click/together/{plate.pk}/")
    assert WidgetEvent.objects.count() == 70


def test_the_product_view_after_a_click_knows_its_widget(client):
    plate = ItemFactory()
    client.get(client.get(f"/recommendations/click/upgrade/{plate.pk}/")["Location"])
    assert ProductView.objects.get().source_widget == "upgrade"


@pytest.mark.parametrize("target", ["999999", "abc", "99999999999999999999999999"])
def test_a_click_on_an_unknown_or_malformed_product_is_404_and_not_recorded(client, target):
    assert client.get(f"/recommendations/click/together/{target}/").status_code == 404
    assert not WidgetEvent.objects.exists()


def test_a_malformed_or_unknown_source_is_dropped_but_the_click_counts(client):
    plate = ItemFactory()
    for source in ("abc", "424242", "9" * 30):
        assert client.get(f"/recommendations/click/together/{plate.pk}/?from={source}&v=x").status_code == 302
    assert list(WidgetEvent.objects.values_list("source", "version")) == [(None, None)] * 3


def test_an_order_after_a_click_is_attributed_to_the_widget_and_version(client):
    shopper, plate, cup = UserFactory(), ItemFactory(), ItemFactory()
    client.force_login(shopper)
    version = RecommendationVersion.objects.create(complete=True)
    client.get(f"/recommendations/click/together/{plate.pk}/?v={version.pk}")
    record_order("O-1", [(plate, 1, "6.00"), (cup, 1, "2.00")], user=shopper)
    lines = dict(OrderLine.objects.values_list("product", "attributed_widget"))
    assert lines == {plate.pk: "together", cup.pk: ""}
    assert OrderLine.objects.get(product=plate).attributed_version == version.pk


def test_the_report_shows_click_through_rate_and_attributed_revenue_per_widget_and_version(admin_client, settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "IMPRESSION_SAMPLE_RATE": 0.5}
    plate = ItemFactory()
    WidgetEvent.objects.bulk_create(
        [WidgetEvent(event="impression", widget="together", version=3) for _ in range(10)]
        + [WidgetEvent(event="click", widget="together", version=3, target=plate)]
    )
    WidgetEvent.objects.create(event="click", widget="upgrade", version=3, target=plate)
    order, _ = record_order("O-1", [(plate, 2, "6.00")])
    order.lines.update(attributed_widget="together", attributed_version=3)

    changelist = admin_client.get("/admin/crosssell_app/widgetevent/")
    assert "/admin/crosssell_app/widgetevent/report/" in changelist.content.decode()
    response = admin_client.get("/admin/crosssell_app/widgetevent/report/?days=7")
    assert response.status_code == 200
    rows = {(row.widget, row.version): row for row in response.context["rows"]}
    together = rows[("together", 3)]
    assert (together.impressions, together.clicks, together.orders) == (10, 1, 1)
    assert together.click_through_rate == pytest.approx(1 / 20)
    assert together.revenue == Decimal(12)
    assert rows[("upgrade", 3)].click_through_rate is None
    assert "5.0%" in response.content.decode()


def test_the_report_is_for_staff_only(client):
    response = client.get("/admin/crosssell_app/widgetevent/report/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def _sampled_impression(settings):
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from crosssell_app.serving.attribution import maybe_record_impression

    settings.CROSSSELL = {**settings.CROSSSELL, "IMPRESSION_SAMPLE_RATE": 1}
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return maybe_record_impression(request, "together", source=None, version=3)


@pytest.mark.django_db(transaction=True)
def test_an_impression_of_its_own_is_committed_without_waiting_for_the_disk_on_postgresql(settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert _sampled_impression(settings)
    relaxed = [q["sql"] for q in queries.captured_queries if "synchronous_commit" in q["sql"]]
    assert relaxed == (["SET LOCAL synchronous_commit TO OFF"] if connection.vendor == "postgresql" else [])
    assert WidgetEvent.objects.filter(event="impression", widget="together", version=3).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_impression_inside_the_hosts_transaction_leaves_that_transaction_durable(settings):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        assert _sampled_impression(settings)
    assert not [q for q in queries.captured_queries if "synchronous_commit" in q["sql"]]
    assert WidgetEvent.objects.filter(event="impression").count() == 1


def _page_with_two_widgets(settings):
    from crosssell_app.models import Kind
    from tests.serving.published import publish

    settings.CROSSSELL = {**settings.CROSSSELL, "IMPRESSION_SAMPLE_RATE": 1}
    mug = ItemFactory()
    publish({(Kind.UPGRADE, mug): [ItemFactory()], (Kind.BOUGHT_TOGETHER, mug): [ItemFactory()]})
    return f"/items/{mug.pk}/widgets/", mug


def test_a_pages_impressions_are_written_after_its_response_in_one_insert(client, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url, mug = _page_with_two_widgets(settings)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200 and "crosssell-upgrade" in response.content.decode()
    assert response["X-Impressions-Stored"] == "0"  # none while the page was being made
    assert sorted(WidgetEvent.objects.values_list("event", "widget", "source")) == [
        ("impression", "together", mug.pk), ("impression", "upgrade", mug.pk)]
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "crosssell_app_widgetevent"')]
    assert len(inserts) == 1


def test_an_impression_write_that_fails_after_the_response_is_logged_and_the_page_stands(
        client, settings, caplog, monkeypatch):
    from crosssell_app.serving import attribution

    def broken(impressions):
        raise RuntimeError("database went away")

    url, _ = _page_with_two_widgets(settings)
    with monkeypatch.context() as patched:
        patched.setattr(attribution, "_store", broken)
        response = client.get(url)
    assert response.status_code == 200 and "crosssell-together" in response.content.decode()
    assert "Could not store 2 sampled widget impressions" in caplog.text
    assert client.get(url).status_code == 200  # the next request queues afresh
    assert WidgetEvent.objects.filter(event="impression").count() == 2


def test_a_request_with_very_many_impressions_writes_them_in_batches_and_keeps_all(settings, monkeypatch):
    from crosssell_app.serving import attribution

    monkeypatch.setattr(attribution, "MAX_PENDING_IMPRESSIONS", 2)
    attribution.start_queueing_impressions()
    for _ in range(3):
        assert _sampled_impression(settings)
    assert WidgetEvent.objects.count() == 2  # the first full batch
    attribution.write_pending_impressions()
    assert WidgetEvent.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_impressions_written_after_django_closed_the_connection_leave_it_closed(settings):
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("Django never closes the in-memory SQLite test database")

    from crosssell_app.serving.attribution import start_queueing_impressions, write_pending_impressions

    start_queueing_impressions()
    assert _sampled_impression(settings)
    assert not WidgetEvent.objects.exists()  # queued, not written
    connection.close()  # what the end of a request does with CONN_MAX_AGE = 0
    write_pending_impressions()
    assert connection.connection is None
    assert WidgetEvent.objects.filter(event="impression", widget="together", version=3).count() == 1


@pytest.mark.parametrize("target", [7, "A-12", "mug & plate", "tasse-café", "x:y@z"])
def test_a_widgets_links_are_the_click_urls_reverse_gives(target):
    from crosssell_app.views import click_url, click_urls

    link = click_urls("together", source_pk=3)
    assert link(target, 9) == click_url("together", target, source_pk=3, version=9)
    assert link(target) == click_url("together", target, source_pk=3)
