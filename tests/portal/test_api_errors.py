from __future__ import annotations

import pytest


def assert_error_shape(body: dict, code: str) -> None:
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@pytest.mark.django_db
def test_malformed_json_is_a_400_validation_error(anonymous_api):
    response = anonymous_api.post(
        "/api/auth/token", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert_error_shape(response.json(), "validation_error")


@pytest.mark.django_db
def test_missing_fields_are_named_in_fields(anonymous_api):
    response = anonymous_api.post("/api/auth/token", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert_error_shape(body, "validation_error")
    assert set(body["error"]["fields"]) == {"email", "password"}


@pytest.mark.django_db
def test_no_credentials_is_a_401_not_authenticated(anonymous_api):
    response = anonymous_api.get("/api/me")
    assert response.status_code == 401
    assert_error_shape(response.json(), "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_a_garbage_token_is_a_401(anonymous_api):
    anonymous_api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = anonymous_api.get("/api/me")
    assert response.status_code == 401
    assert_error_shape(response.json(), "not_authenticated")


@pytest.mark.django_db
def test_unknown_api_url_is_a_json_404(api):
    response = api.get("/api/does-not-exist")
    assert response.status_code == 404
    assert_error_shape(response.json(), "not_found")


@pytest.mark.django_db
def test_wrong_method_is_a_405_in_the_error_shape(api):
    response = api.delete("/api/me")
    assert response.status_code == 405
    assert_error_shape(response.json(), "method_not_allowed")


@pytest.mark.django_db
def test_an_accept_header_nothing_answers_in_is_a_documented_406(api, client):
    response = api.get("/api/plans", HTTP_ACCEPT="image/avif")
    assert response.status_code == 406
    assert_error_shape(response.json(), "not_acceptable")
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = [operation for path in schema["paths"].values() for operation in path.values()]
    assert all("406" in operation["responses"] for operation in operations)


@pytest.mark.django_db
@pytest.mark.urls("tests.portal.urls_with_errors")
def test_unexpected_exception_is_a_500_without_details(anonymous_api, caplog):
    response = anonymous_api.get("/api/test/explode")
    assert response.status_code == 500
    body = response.json()
    assert_error_shape(body, "server_error")
    assert "secret" not in response.content.decode()
    assert any("Unhandled error" in record.message for record in caplog.records)


@pytest.mark.django_db
def test_a_query_parameter_given_twice_is_a_400_naming_it(api):
    response = api.get("/api/notifications?archived=true&archived=false&limit=5")
    assert response.status_code == 400
    body = response.json()
    assert_error_shape(body, "validation_error")
    assert set(body["error"]["fields"]) == {"archived"}
