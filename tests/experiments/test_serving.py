"""Widgets under an experiment: each arm serves what it names, and every path to the cart carries the arm."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.template import Context, Template
from django.test import RequestFactory

from crosssell_app.experiments.assignment import VISITOR_SESSION_KEY, arm_for, visitor_key
from crosssell_app.models import Arm, Kind, OrderLine, Participant, WidgetEvent
from crosssell_app.serving.attribution import attribution_token, read_attribution_token, record_cart_add
from crosssell_app.tracking.recording import record_order
from tests.factories import ItemFactory
from tests.serving.published import publish

from .conftest import make_experiment

pytestmark = pytest.mark.django_db


def visitor_in(experiment, arm_name: str):
    """Return a request whose visitor the experiment puts in the arm called ``arm_name``."""
    for _ in range(200):
        request = RequestFactory().get("/")
        request.user, request.session = AnonymousUser(), SessionStore()
        if arm_for(experiment, visitor_key(request)).name == arm_name:
            return request
    raise AssertionError(f"no visitor of 200 landed in {arm_name}")


def render(source: str, request, **context) -> str:
    return Template("{% load crosssell_tags %}" + source).render(Context({"request": request, **context}))


@pytest.fixture
def shop():
    """A mug bought with a plate in the active version, and with a bowl in a newer, unpublished one."""
    mug, plate, bowl = ItemFactory(title="Mug"), ItemFactory(title="Plate"), ItemFactory(title="Bowl")
    active = publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    candidate = publish({(Kind.BOUGHT_TOGETHER, mug): [bowl]}, activate=False)
    return {"mug": mug, "plate": plate, "bowl": bowl, "active": active, "candidate": candidate}


def together_experiment(shop):
    experiment = make_experiment(("control", Arm.Kind.CONTROL, 1), ("active", Arm.Kind.VERSION, 1),
                                 ("candidate", Arm.Kind.VERSION, 1))
    Arm.objects.filter(experiment=experiment, name="candidate").update(version=shop["candidate"])
    experiment.refresh_from_db()
    return experiment


def test_the_control_sees_no_widget_but_is_counted(shop):
    experiment = together_experiment(shop)
    request = visitor_in(experiment, "control")
    assert render("{% frequently_bought_together product %}", request, product=shop["mug"]) == ""
    assert Participant.objects.get().arm.name == "control"


def test_each_version_arm_serves_its_own_version_and_links_carry_the_arm(shop):
    experiment = together_experiment(shop)
    candidate = experiment.arms.get(name="candidate")
    html = render("{% frequently_bought_together product %}", visitor_in(experiment, "candidate"), product=shop["mug"])
    assert "Bowl" in html and "Plate" not in html
    assert f"v={shop['candidate'].pk}&amp;a={candidate.pk}" in html
    html = render("{% frequently_bought_together product %}", visitor_in(experiment, "active"), product=shop["mug"])
    assert "Plate" in html and "Bowl" not in html


def test_a_configuration_arm_replaces_the_tags_options(shop):
    more = ItemFactory.create_batch(4)
    publish({(Kind.BOUGHT_TOGETHER, shop["mug"]): more})
    experiment = make_experiment(("two", Arm.Kind.VERSION, 1), ("one", Arm.Kind.CONFIGURATION, 1))
    Arm.objects.filter(experiment=experiment, name="one").update(options={"limit": 1})
    experiment.refresh_from_db()
    source = "{% frequently_bought_together product 2 %}"  # limit given positionally
    assert render(source, visitor_in(experiment, "two"), product=shop["mug"]).count('class="crosssell-item"') == 2
    assert render(source, visitor_in(experiment, "one"), product=shop["mug"]).count('class="crosssell-item"') == 1


def test_a_click_through_the_widget_counts_for_the_visitor_and_attributes_the_order(
        shop, client, django_capture_on_commit_callbacks):
    experiment = together_experiment(shop)
    candidate = experiment.arms.get(name="candidate")
    session = client.session
    key = next(f"k{i}" for i in range(200) if arm_for(experiment, f"k{i}") == candidate)
    session[VISITOR_SESSION_KEY] = key  # a browser whose visitor is in the candidate arm
    session.save()
    Participant.objects.create(experiment=experiment, arm=candidate, visitor_key=key)
    link = (f"/recommendations/click/together/{shop['bowl'].pk}/"
            f"?from={shop['mug'].pk}&v={shop['candidate'].pk}&a={candidate.pk}")
    assert client.get(link).status_code == 302
    assert WidgetEvent.objects.get(event="click").arm == candidate
    assert Participant.objects.get().clicks == 1
    with django_capture_on_commit_callbacks(execute=True):
        record_order("O-1", [(shop["bowl"], 1, Decimal("3"))], session_key=client.session.session_key)
    line = OrderLine.objects.get()
    assert (line.attributed_widget, line.attributed_version, line.attributed_arm) == (
        "together", shop["candidate"].pk, candidate)


def test_a_bundle_added_to_the_cart_attributes_the_picks_it_showed_not_the_viewed_product(shop, settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "ADD_TO_CART_URL": "/cart/add/"}
    experiment = together_experiment(shop)
    request = visitor_in(experiment, "candidate")
    html = render("{% frequently_bought_together product %}", request, product=shop["mug"])
    token = unescape(re.search(r'name="cs_token" value="([^"]+)"', html).group(1))
    request.session.save()

    assert record_cart_add(request, token, [shop["mug"].pk, shop["bowl"].pk]) == 1
    record_order("O-2", [(shop["mug"], 1, Decimal("4")), (shop["bowl"], 1, Decimal("3"))],
                 session_key=request.session.session_key)
    lines = {line.product_id: line for line in OrderLine.objects.all()}
    candidate = experiment.arms.get(name="candidate")
    bowl = lines[shop["bowl"].pk]
    assert (bowl.attributed_widget, bowl.attributed_version, bowl.attributed_arm) == (
        "together", shop["candidate"].pk, candidate)
    assert lines[shop["mug"].pk].attributed_widget == ""


def test_a_forged_or_altered_token_attributes_nothing(shop):
    token = attribution_token("together", targets=[shop["plate"].pk], version=shop["active"].pk)
    assert read_attribution_token(token).targets == {str(shop["plate"].pk)}
    widened = token.replace(f"|{shop['plate'].pk}:", f"|{shop['plate'].pk},{shop['bowl'].pk}:")
    assert widened != token, "the bowl was added to the token's products, its signature kept"
    request = RequestFactory().post("/")
    request.user, request.session = AnonymousUser(), SessionStore()
    for bad in (widened, "together||||1", "", None, "x" * 5000):
        assert record_cart_add(request, bad, [shop["bowl"].pk]) == 0
    assert not WidgetEvent.objects.exists()


def test_adds_to_cart_are_not_counted_as_impressions_in_the_widget_report(shop):
    from crosssell_app.serving.attribution import widget_report

    WidgetEvent.objects.create(event=WidgetEvent.Event.ADD_TO_CART, widget="together", target=shop["plate"])
    WidgetEvent.objects.create(event=WidgetEvent.Event.IMPRESSION, widget="together")
    (line,) = widget_report()
    assert (line.impressions, line.clicks) == (1, 0)
