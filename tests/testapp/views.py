from django.views.generic import DetailView

from crosssell_app.mixins import ProductViewMixin

from .models import Item


class ItemDetailView(ProductViewMixin, DetailView):
    model = Item

    def render_to_response(self, context, **kwargs):
        from django.http import HttpResponse

        return HttpResponse(self.object.title)
