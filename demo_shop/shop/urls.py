from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "shop"

urlpatterns = [
    path("", views.home, name="home"),
    path("products/", views.catalogue, name="catalogue"),
    path("category/<slug:slug>/", views.catalogue, name="category"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="product"),
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/add-many/", views.cart_add_many, name="cart_add_many"),
    path("cart/update/", views.cart_update, name="cart_update"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/<str:number>/", views.order_done, name="order_done"),
    path("login/", views.DemoLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
