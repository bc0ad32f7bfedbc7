"""The demo shop under an experiment: the bundle and the cart's one-click add carry the widget's arm and version
to the order, and the control sees no widget but its orders still count."""

from __future__ import annotations

import re
from html import unescape

import pytest

from crosssell_app.experiments import lifecycle
from crosssell_app.experiments.assignment import VISITOR_SESSION_KEY, arm_for
from crosssell_app.models import ActiveVersion, Arm, Experiment, ExperimentOrder, Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment(published):
    """The active version against no widget, on every widget, half and half."""
    experiment = Experiment.objects.create(name="widgets or not")
    Arm.objects.create(experiment=experiment, name="no widget", kind=Arm.Kind.CONTROL)
    Arm.objects.create(experiment=experiment, name="widgets", kind=Arm.Kind.VERSION,
                       version_id=ActiveVersion.objects.current_id())
    return lifecycle.start(experiment)


def join(client, experiment, arm_name: str) -> Arm:
    """Give the client's browser a visitor key that the experiment puts in ``arm_name``."""
    session = client.session
    key = next(f"visitor-{i}" for i in range(500) if arm_for(experiment, f"visitor-{i}").name == arm_name)
    session[VISITOR_SESSION_KEY] = key
    session.save()
    return experiment.arms.get(name=arm_name)


def checkout(client) -> Order:
    response = client.post("/checkout/", {"email": "shopper@example.com"})
    assert response.status_code == 302, response.content[:500]
    return Order.objects.get(external_id=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_a_bundle_checkout_is_attributed_to_its_widget_arm_and_version(client, published, experiment,
                                                                       django_capture_on_commit_callbacks):
    stand, teacup, bunting = published[:3]
    arm = join(client, experiment, "widgets")
    page = client.get(f"/products/{stand.pk}/").content.decode()
    form = re.search(r'<form method="post" action="/cart/add-many/" data-bundle>(.*?)</form>', page, re.S).group(1)
    token = unescape(re.search(r'name="cs_token" value="([^"]+)"', form).group(1))
    ids = re.findall(r'name="product_ids" value="(\d+)"', form)
    assert sorted(map(int, ids)) == sorted([stand.pk, teacup.pk, bunting.pk])

    client.post("/cart/add-many/", {"product_ids": ids, "cs_token": token})
    with django_capture_on_commit_callbacks(execute=True):
        order = checkout(client)
    lines = {line.product_id: line for line in order.lines.all()}
    version = ActiveVersion.objects.current_id()
    for pick in (teacup, bunting):
        assert (lines[pick.pk].attributed_widget, lines[pick.pk].attributed_arm, lines[pick.pk].attributed_version) \
            == ("together", arm, version)
    assert lines[stand.pk].attributed_widget == "", "the viewed product was not the widget's recommendation"
    assert ExperimentOrder.objects.get(order=order).arm == arm


def test_the_carts_one_click_add_is_attributed(client, published, experiment, django_capture_on_commit_callbacks):
    stand, teacup, _bunting, _big, holder = published
    arm = join(client, experiment, "widgets")
    client.post("/cart/add/", {"product_id": teacup.pk})
    cart = client.get("/cart/").content.decode()
    form = re.search(r'<form method="post" action="/cart/add-many/" class="cs-add">(.*?)</form>', cart, re.S).group(1)
    assert f'value="{holder.pk}"' in form
    client.post("/cart/add-many/", {"product_ids": [holder.pk],
                                    "cs_token": unescape(re.search(r'name="cs_token" value="([^"]+)"', form).group(1))})
    with django_capture_on_commit_callbacks(execute=True):
        order = checkout(client)
    line = order.lines.get(product=holder)
    assert (line.attributed_widget, line.attributed_arm) == ("cart", arm)


def test_the_control_sees_no_widget_and_its_orders_still_count(client, published, experiment,
                                                               django_capture_on_commit_callbacks):
    stand = published[0]
    control = join(client, experiment, "no widget")
    page = client.get(f"/products/{stand.pk}/").content.decode()
    assert "data-crosssell-widget" not in page
    client.post("/cart/add/", {"product_id": stand.pk})
    with django_capture_on_commit_callbacks(execute=True):
        order = checkout(client)
    assert ExperimentOrder.objects.get(order=order).arm == control
    assert not order.lines.exclude(attributed_widget="").exists()
