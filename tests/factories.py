"""factory_boy factories for the test host's products and the app's tracked events."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from crosssell_app.models import Order, OrderLine, ProductView
from tests.testapp.models import Item, Section


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ("label",)

    label = "Kitchen"


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    code = factory.Sequence(lambda n: f"{10000 + n}")
    title = factory.Sequence(lambda n: f"Item {n}")
    blurb = "A useful thing"
    section = factory.SubFactory(SectionFactory)
    cost = Decimal("4.50")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"shopper{n}")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    external_id = factory.Sequence(lambda n: f"ORD-{n}")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ItemFactory)
    quantity = 1
    unit_price = Decimal("4.50")


class ProductViewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductView

    product = factory.SubFactory(ItemFactory)
