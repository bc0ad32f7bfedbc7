from django.http import HttpResponse
from django.template import RequestContext, Template
from django.views.generic import DetailView

from crosssell_app.mixins import ProductViewMixin
from crosssell_app.models import WidgetEvent

from .models import Item


class ItemDetailView(ProductViewMixin, DetailView):
    model = Item

    def render_to_response(self, context, **kwargs):
        return HttpResponse(self.object.title)


WIDGETS = Template("{% load crosssell_tags %}{% upgrade_to product %}{% frequently_bought_together product %}")


def widget_page(request, pk):
    """A page with two widgets that says how many impressions were stored while it was made."""
    html = WIDGETS.render(RequestContext(request, {"product": Item.objects.get(pk=pk)}))
    return HttpResponse(html, headers={"X-Impressions-Stored": str(WidgetEvent.objects.count())})
