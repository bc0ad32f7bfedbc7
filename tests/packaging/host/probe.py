"""What a visitor and an API client of the host shop see, printed as one JSON object.

Run inside the test's virtualenv (``python probe.py`` in the host folder). It only reports;
``tests/packaging/test_install.py`` asserts on the report, so a failure there shows all of it.
"""

import html
import json
import os
import re
from importlib.util import find_spec

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostshop.settings")
django.setup()

import crosssell_app  # noqa: E402
from crosssell_app.models import ActiveVersion, Recommendation  # noqa: E402
from django.test import Client  # noqa: E402
from shop.models import Product  # noqa: E402

CLICK_LINK = re.compile(r'href="(/recommendations/click/[^"]+)"')


def first_page_with_picks(client: Client) -> tuple[Product | None, str]:
    """Return the first product whose page shows bought-together picks, and that page."""
    for product in Product.objects.order_by("pk"):
        page = client.get(product.get_absolute_url())
        text = page.content.decode()
        if page.status_code == 200 and CLICK_LINK.search(text):
            return product, text
    return None, ""


def main() -> dict:
    client = Client()
    product, page = first_page_with_picks(client)
    links = [html.unescape(link) for link in CLICK_LINK.findall(page)]
    click = client.get(links[0]) if links else None
    api = client.get(f"/recommendations/api/products/{product.pk}/together/") if product else None
    return {
        "app_file": crosssell_app.__file__,
        "api_extra_installed": find_spec("rest_framework") is not None,
        "active_version": ActiveVersion.objects.current_id(),
        "recommendations": Recommendation.objects.count(),
        "product_with_picks": product.pk if product else None,
        "widget_shown": 'class="crosssell crosssell-together"' in page,
        "click_links": links,
        "click_status": click.status_code if click else None,
        "click_location": click.get("Location") if click else None,
        "api_status": api.status_code if api else None,
        "api_body": api.content.decode()[:2000] if api else None,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
