"""Reused SQL: a list's query is compiled once per shape and gives exactly what the ORM gives."""

from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crosssell_app.serving import lists as serving
from crosssell_app.serving import queries as statements
from crosssell_app.models import Kind, MerchandisingRule
from crosssell_app.serving.rules import default_rules
from tests.factories import ItemFactory, UserFactory
from tests.testapp.models import Item, Section

from .published import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def compiles():
    """Count how often a shape is compiled (the real compile still runs)."""
    with mock.patch.object(statements, "_compile", wraps=statements._compile) as spy:
        statements.forget_statements()
        yield spy


@pytest.fixture
def orm_only():
    """Make every shape take the ordinary ORM path, as if none could be reused."""
    def use_orm():
        statements.forget_statements()
        return mock.patch.object(statements, "_compile", return_value=None)
    return use_orm


def shown(picks):
    return [(pick.pk, pick.rank, pick.score, pick.pinned, pick.version, pick.explanation) for pick in picks]


def test_the_second_product_of_a_shape_runs_the_same_sql_with_its_own_id(compiles):
    mug, plate, cup, spoon = ItemFactory.create_batch(4)
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, cup], (Kind.BOUGHT_TOGETHER, plate): [spoon]})
    with CaptureQueriesContext(connection) as queries:
        first = serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules())
        second = serving.for_product(Kind.BOUGHT_TOGETHER, plate, limit=3, rules=default_rules())
    assert [pick.product for pick in first] == [plate, cup]
    assert [pick.product for pick in second] == [spoon]
    assert compiles.call_count == 1
    assert len(queries) == 2


def test_another_limit_or_rule_is_another_shape(compiles):
    mug, plate = ItemFactory.create_batch(2)
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules())
    serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=4, rules=default_rules())
    serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules(min_price=Decimal(1)))
    assert compiles.call_count == 3


def test_a_settings_change_compiles_shapes_again(compiles, settings):
    mug, plate = ItemFactory.create_batch(2)
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules())
    settings.CROSSSELL = {**settings.CROSSSELL, "EXCLUDE_CATEGORIES": []}
    serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules())
    assert compiles.call_count == 2


def test_reused_statements_serve_exactly_what_the_orm_serves(orm_only):
    kitchen, garden = Section.objects.create(label="Kitchen"), Section.objects.create(label="Garden")
    items = [ItemFactory(section=kitchen if i % 2 else garden, cost=Decimal(i + 1)) for i in range(12)]
    items[5].on_sale = False
    items[5].save()
    shopper, other = UserFactory(), UserFactory()
    lists = {(Kind.BOUGHT_TOGETHER, source): [t for t in items if t != source][offset:offset + 8]
             for offset, source in enumerate(items[:6])}
    lists |= {(Kind.UPGRADE, items[0]): items[3:9], (Kind.FOR_YOU, shopper): items[4:10]}
    publish(lists, trending=items[::-1], explain=lambda kind, source, target: {"why": f"{kind}:{target.pk}"})
    MerchandisingRule.objects.create(kind=Kind.BOUGHT_TOGETHER, action=MerchandisingRule.Action.PIN,
                                     source=items[1], target=items[11], position=2)
    MerchandisingRule.objects.create(kind=Kind.BOUGHT_TOGETHER, action=MerchandisingRule.Action.BLOCK,
                                     source=None, target=items[7])
    every_rule = [default_rules(), default_rules(categories=("Kitchen",)), default_rules(exclude_categories=("Garden",)),
                  default_rules(min_price=Decimal(3), max_price=Decimal(9)), default_rules(exclude_ids=[item.pk for item in items[8:10]])]

    def serve_everything():
        served = []
        for rules in every_rule:
            for source in items[:6]:
                served.append(shown(serving.for_product(Kind.BOUGHT_TOGETHER, source, limit=4, rules=rules)))
            served.append(shown(serving.for_product(Kind.UPGRADE, items[0], limit=3, rules=rules)))
            served.append(shown(serving.for_basket([items[1].pk, items[2].pk], limit=5, rules=rules)))
            served.append(shown(serving.for_basket([items[3].pk], limit=5, rules=rules)))
            for user in (shopper, other, AnonymousUser()):
                served.append(shown(serving.for_user(user, limit=5, rules=default_rules(user=user))))
        return served

    statements.forget_statements()
    reused = serve_everything() + serve_everything()  # the second pass runs only compiled shapes
    compiled = list(statements._statements().values())
    assert compiled and statements._UNCACHEABLE not in compiled  # so every list above was served from SQL reused
    with orm_only():
        plain = serve_everything() + serve_everything()
    assert reused == plain
    assert any(reused) and any(pick[3] for picks in reused for pick in picks)  # lists and a pin were served


def test_a_shape_whose_sql_changes_with_its_ids_is_never_reused(compiles):
    first, second = ItemFactory.create_batch(2)

    def build(values):  # the lookup depends on the id: the stand-in's SQL is not the real one's
        pk = values["ids"][0]
        return Item.objects.filter(pk=pk) if pk > 0 else Item.objects.filter(pk__gte=pk)

    pk_field = Item._meta.pk
    assert statements.fetch(Item, "odd", build, {"ids": (pk_field, [first.pk])}) == [first]
    assert statements.fetch(Item, "odd", build, {"ids": (pk_field, [second.pk])}) == [second]
    assert compiles.call_count == 1


def test_an_id_the_orm_would_leave_out_takes_the_orm_path(compiles):
    first = ItemFactory()

    def build(values):
        return Item.objects.filter(pk__in=values["ids"])

    pk_field = Item._meta.pk
    assert statements.fetch(Item, "in", build, {"ids": (pk_field, [first.pk, None])}) == [first]
    assert compiles.call_count == 0
