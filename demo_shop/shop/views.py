"""Views of the demo shop: catalogue, product pages, session cart, checkout."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.generic import DetailView

from crosssell_app.mixins import ProductViewMixin
from crosssell_app.models import Order
from crosssell_app.serving.attribution import TOKEN_FIELD, record_cart_add
from crosssell_app.tracking.recording import record_order, visitor

from .cart import Cart, lines_total
from .forms import CheckoutForm
from .models import Category, Product, ShopOrder, ShopOrderLine

PAGE_SIZE = 24
#: seed_demo names its demo accounts ``customer<Online Retail CustomerID>``, password "demo"
DEMO_CUSTOMER_PREFIX = "customer"


def home(request: HttpRequest) -> HttpResponse:
    categories = Category.objects.all()
    return render(request, "shop/home.html", {"categories": categories})


def catalogue(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    products = Product.objects.select_related("category")
    category = None
    if slug:
        category = get_object_or_404(Category, slug=slug)
        products = products.filter(category=category)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        products = products.filter(Q(name__icontains=query) | Q(sku__iexact=query))
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "shop/catalogue.html", {
        "page": page, "category": category, "categories": Category.objects.all(), "query": query,
    })


class DemoLoginView(auth_views.LoginView):
    """The sign-in page, listing the demo customers so a visitor can try the personal picks.

    Their password is public ("demo"), so each is offered as a one-click sign-in; a real shop
    would use the plain ``LoginView``.
    """

    template_name = "shop/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customers = list(
            get_user_model().objects.filter(username__startswith=DEMO_CUSTOMER_PREFIX, is_active=True)
            .order_by("username")[:12]
        )
        orders = dict(
            Order.objects.filter(user__in=customers).values_list("user").annotate(n=Count("pk")).order_by()
        )
        for customer in customers:
            customer.past_orders = orders.get(customer.pk, 0)
        context["demo_customers"] = customers
        return context


class ProductDetailView(ProductViewMixin, DetailView):
    model = Product
    template_name = "shop/product.html"
    context_object_name = "product"
    queryset = Product.objects.select_related("category")


def _quantity(value, default: int = 1) -> int:
    try:
        return max(1, min(999, int(value)))
    except (TypeError, ValueError):
        return default


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    product = get_object_or_404(Product, pk=_quantity(request.POST.get("product_id"), 0) or 0)
    Cart(request).add(product.pk, _quantity(request.POST.get("quantity")))
    record_cart_add(request, request.POST.get(TOKEN_FIELD), [product.pk])
    messages.success(request, f"Added {product.name} to your cart.")
    return redirect(request.POST.get("next") or "shop:cart")


@require_POST
def cart_add_many(request: HttpRequest) -> HttpResponse:
    """Add several products at once: the bought-together bundle and the cart widget's one-click add post here.

    Their forms carry the widget's attribution token (``cs_token``): handing it to
    ``record_cart_add`` attributes a later order of these products to the widget, its version
    and its experiment arm, as a click through the widget's link would.
    """
    ids = []
    for raw in request.POST.getlist("product_ids") + request.POST.getlist("product"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    products = list(Product.objects.filter(pk__in=ids))
    cart = Cart(request)
    for product in products:
        cart.add(product.pk, 1)
    record_cart_add(request, request.POST.get(TOKEN_FIELD), [product.pk for product in products])
    if products:
        messages.success(request, f"Added {len(products)} item{'s' if len(products) != 1 else ''} to your cart.")
    else:
        messages.warning(request, "Nothing was selected.")
    return redirect("shop:cart")


@require_POST
def cart_update(request: HttpRequest) -> HttpResponse:
    cart = Cart(request)
    try:
        product_id = int(request.POST.get("product_id", ""))
        quantity = int(request.POST.get("quantity", "0"))
    except ValueError:
        messages.error(request, "That quantity is not a number.")
        return redirect("shop:cart")
    cart.set(product_id, quantity)
    return redirect("shop:cart")


def cart_view(request: HttpRequest) -> HttpResponse:
    cart = Cart(request)
    lines = cart.lines()
    return render(request, "shop/cart.html", {
        "lines": lines,
        "total": lines_total(lines),
        "cart_products": [line["product"] for line in lines],
    })


def checkout(request: HttpRequest) -> HttpResponse:
    cart = Cart(request)
    lines = cart.lines()
    if not lines:
        messages.info(request, "Your cart is empty.")
        return redirect("shop:cart")
    form = CheckoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, session_key = visitor(request)
        with transaction.atomic():
            order = ShopOrder.objects.create(
                number=f"DEMO-{uuid.uuid4().hex[:10].upper()}", user=user, session_key=session_key,
                email=form.cleaned_data["email"],
            )
            ShopOrderLine.objects.bulk_create(
                ShopOrderLine(order=order, product=line["product"], quantity=line["quantity"],
                              unit_price=line["product"].price)
                for line in lines
            )
            record_order(
                order.number,
                [(line["product"], line["quantity"], line["product"].price) for line in lines],
                user=user, session_key=session_key,
            )
        cart.clear()
        return redirect("shop:order_done", number=order.number)
    return render(request, "shop/checkout.html", {
        "form": form, "lines": lines, "total": lines_total(lines),
    })


def order_done(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(ShopOrder.objects.prefetch_related("lines__product"), number=number)
    user, session_key = visitor(request)
    if (order.user_id and order.user != user) or (not order.user_id and order.session_key != session_key):
        return redirect("shop:home")
    return render(request, "shop/order_done.html", {"order": order})
