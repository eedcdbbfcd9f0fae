"""What leaves a request besides its answer: X-Ray keeps no response bodies, Swagger UI keeps no token."""

from __future__ import annotations

from aws_lambda_powertools.shared import constants
from chatbatch_local.lambda_runtime import LambdaContext, http_api_event

from tests.deploy.template import global_env


def test_xray_records_no_response_of_a_traced_handler_or_method():
    # Powertools' Tracer reads this variable for capture_lambda_handler and capture_method alike
    assert global_env()[constants.TRACER_CAPTURE_RESPONSE_ENV] == "false"


def test_swagger_ui_does_not_persist_the_token_in_local_storage(api_function):
    event = http_api_event("GET", "/swagger", "", {}, b"")
    response = api_function.lambda_handler(event, LambdaContext(function_name="api"))

    assert response["statusCode"] == 200
    assert "persistAuthorization: false" in response["body"]
