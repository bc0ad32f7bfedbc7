from django.shortcuts import get_object_or_404, render

from .models import Product


def product_page(request, pk: int):
    """A product page with crosssell's bought-together widget (see the template)."""
    return render(request, "shop/product.html", {"product": get_object_or_404(Product, pk=pk)})
