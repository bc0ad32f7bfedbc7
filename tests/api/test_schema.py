"""The OpenAPI schema says what the API answers: the success shape and status, and every error.

``test_schemathesis.py`` checks the same against live answers (slow); these read the schema only.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

API = "/recommendations/api"
#: the answers of each operation, as the views give them (401 and 403 come from authentication and
#: permissions, 429 from the throttles a host may configure)
EXPECTED = {
    ("get", "/products/{id}/together/"): {"200", "400", "401", "403", "404", "429"},
    ("get", "/products/{id}/upgrades/"): {"200", "400", "401", "403", "404", "429"},
    ("get", "/products/{id}/similar/"): {"200", "400", "401", "403", "404", "429"},
    ("get", "/for-you/"): {"200", "400", "401", "403", "429"},
    ("post", "/basket/"): {"200", "400", "401", "403", "415", "429"},
    ("post", "/views/"): {"201", "400", "401", "403", "415", "429"},
    ("post", "/orders/"): {"200", "201", "400", "401", "403", "415", "429"},
    ("post", "/clicks/"): {"201", "400", "401", "403", "415", "429"},
    ("get", "/experiments/{id}/report/"): {"200", "400", "401", "403", "404", "429"},
    ("get", "/training-runs/"): {"200", "401", "403", "429"},
    ("get", "/training-runs/{id}/"): {"200", "401", "403", "404", "429"},
    ("post", "/training-runs/retrain/"): {"202", "401", "403", "429", "503"},
}


@pytest.fixture
def schema(api) -> dict:
    response = api.get(f"{API}/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _response(schema: dict, method: str, path: str, status: str) -> dict:
    return schema["paths"][API + path][method]["responses"][status]["content"]["application/json"]["schema"]


@pytest.mark.parametrize("method, path", list(EXPECTED))
def test_every_operation_documents_each_status_it_answers_with(schema, method, path):
    assert set(schema["paths"][API + path][method]["responses"]) == EXPECTED[(method, path)]


def test_for_you_is_documented_as_one_list_object_not_an_array(schema):
    assert _response(schema, "get", "/for-you/", "200") == {"$ref": "#/components/schemas/PickList"}


def test_basket_completion_is_documented_as_200(schema):
    assert _response(schema, "post", "/basket/", "200") == {"$ref": "#/components/schemas/PickList"}


def test_a_picks_id_has_the_type_of_the_hosts_product_key(schema):
    assert schema["components"]["schemas"]["Pick"]["properties"]["id"]["type"] == "integer"


def test_an_error_body_is_documented_as_the_api_writes_it(schema):
    detail = _response(schema, "get", "/products/{id}/together/", "404")
    assert detail == {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    assert _response(schema, "post", "/basket/", "400")["type"] == "object"  # field names -> messages, or detail


def test_a_refused_retrain_is_documented_with_its_error(schema):
    assert _response(schema, "post", "/training-runs/retrain/", "503") == {"$ref": "#/components/schemas/RetrainResult"}
    assert "error" in schema["components"]["schemas"]["RetrainResult"]["properties"]


def test_the_schema_generates_without_warnings(capsys):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()  # it reports each warning once per process
    SchemaGenerator().get_schema(request=None, public=True)
    assert "Warning" not in capsys.readouterr().err


@pytest.mark.parametrize("path", ["/schema/?format=json", "/"])
def test_the_schema_and_the_api_root_refuse_a_nul_byte_in_basic_credentials_as_the_api_does(api, path):
    """On PostgreSQL DRF's own Basic authentication let the NUL reach the user query: a 500."""
    import base64

    token = base64.b64encode(b"ro\x00bot:robot").decode()
    assert api.get(f"{API}{path}", HTTP_AUTHORIZATION=f"Basic {token}").status_code in (401, 403)
