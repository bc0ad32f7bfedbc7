"""The API's router, included by :mod:`crosssell_app.urls` under ``api/`` (namespace ``crosssell:api``)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter()
router.APIRootView = views.RootView
router.register("products", views.ProductListsViewSet, basename="product")
router.register("for-you", views.ForYouViewSet, basename="for-you")
router.register("buy-again", views.BuyAgainViewSet, basename="buy-again")
router.register("basket", views.BasketViewSet, basename="basket")
router.register("views", views.ProductViewEventViewSet, basename="view")
router.register("orders", views.OrderViewSet, basename="order")
router.register("clicks", views.WidgetEventViewSet, basename="click")
router.register("experiments", views.ExperimentViewSet, basename="experiment")
router.register("training-runs", views.TrainingRunViewSet, basename="training-run")

urlpatterns = [
    path("", include(router.urls)),
    path("schema/", views.SchemaView.as_view(), name="schema"),
]
