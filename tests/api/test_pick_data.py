"""The list endpoints write their picks as plain values: the same as ``PickListSerializer`` gives."""

from decimal import Decimal

import pytest

from crosssell_app.api.serializers import PickListSerializer
from crosssell_app.api.views import _picks_response
from crosssell_app.serving.lists import Pick
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def test_plain_pick_values_equal_the_serializers_output():
    mug, plate = ItemFactory(), ItemFactory()
    picks = [
        Pick(product=mug, title="Mug", url="/mug/", price=Decimal("4.50"), image="", score=0.5,
             explanation={"orders_together": 3, 7: None, "words": ["a", 1]}, version=4, source_id=plate.pk, rank=1),
        Pick(product=plate, title="Plate", url="", price=None, image="/p.png", score=0.0, version=4,
             pinned=True, rank=2),
        Pick(product=plate, title="Big", url="/big/", price=Decimal("1E+1"), image="", score=1, rank=3),
    ]
    for given in (picks, []):
        expected = PickListSerializer({"version": given[0].version if given else None, "results": given}).data
        assert _picks_response(given).data == expected
        assert list(_picks_response(given).data) == list(expected)
        for ours, theirs in zip(_picks_response(given).data["results"], expected["results"]):
            assert list(ours) == list(theirs)
            assert [type(value) for value in ours.values()] == [type(value) for value in theirs.values()]


@pytest.mark.parametrize("query", ["", "limit=10", "limit=1", "limit=999", "limit=3&limit=7"])
def test_plain_list_params_equal_the_serializers(query, rf):
    from rest_framework.request import Request

    from crosssell_app.api.serializers import ListParamsSerializer
    from crosssell_app.api.views import _params

    request = Request(rf.get(f"/?{query}"))
    serializer = ListParamsSerializer(data=request.query_params)
    assert serializer.is_valid()
    params = _params(request)
    assert params.filters() == serializer.filters()
    assert params.clamped_limit(3) == serializer.clamped_limit(3)
