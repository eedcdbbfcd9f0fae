"""The api function's resolver: routes, and typed errors translated to HTTP answers in one place."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from chatbatch.api import console, gateways, history, openapi, room_changes, ui, webhook
from chatbatch.api.answers import error_answer, respond
from chatbatch.errors import BadRequest, ChatbatchError, NotFound
from chatbatch.settings import ApiSettings, get_settings


def _json(status: int, body: dict) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def create_app(settings: ApiSettings | None = None) -> APIGatewayHttpResolver:
    settings = settings or get_settings(ApiSettings)
    cors = CORSConfig(allow_origin=settings.cors_allow_origin, max_age=600) if settings.cors_allow_origin else None
    app = openapi.Resolver(enable_validation=True, cors=cors)
    app.include_router(webhook.router)
    app.include_router(gateways.router)
    app.include_router(history.router)
    app.include_router(room_changes.router)
    app.include_router(console.router)
    app.include_router(ui.router)
    # One OpenAPI description for everything that reads it: /swagger (UI and ?format=json), tests, tooling.
    app.configure_openapi(
        title=openapi.TITLE,
        version=openapi.VERSION,
        description="The WhatsApp gateway's webhook, the chat-history API of the dashboard UI and the operator "
        "console's actions (staff replies, the bot's pause and settings, job retries).",
        security_schemes=openapi.SECURITY_SCHEMES,
    )
    # persist_authorization off: Swagger UI must not keep API tokens in the browser's localStorage.
    app.enable_swagger(path="/swagger", persist_authorization=False, compress=True)  # the page inlines ~1.7 MB of JS

    @app.exception_handler(ChatbatchError)
    def handle_domain_error(exc: ChatbatchError) -> Response:
        return respond(error_answer(exc, app.current_event.path))

    @app.exception_handler(RequestValidationError)
    def handle_validation_error(exc: RequestValidationError) -> Response:
        # Powertools validates a request before its token is looked at: who asks is answered first (401), as a
        # client expects, and only then what is wrong with the fields.
        route = app.context.get("_route")
        if route is not None and any(openapi.BEARER in scheme for scheme in route.security or ()):
            try:
                history.bearer_tenant(app.request)
            except ChatbatchError as denied:
                return handle_domain_error(denied)
        details = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
                or "(request)",
                "problem": str(err.get("msg", "is invalid")),
            }
            for err in exc.errors()
        ]
        message = "invalid request: " + "; ".join(f"{d['field']}: {d['problem']}" for d in details)
        return _json(422, {"error": "invalid_fields", "message": message, "details": details})

    @app.exception_handler(UnicodeDecodeError)
    def handle_undecodable_body(_: UnicodeDecodeError) -> Response:
        # Powertools decodes a JSON body (settings, staff replies) before validating it: bytes that are not UTF-8
        # fail there, before any route runs.
        return _json(400, BadRequest("the body is not valid UTF-8; send the JSON as UTF-8 text").to_body())

    @app.not_found
    def handle_unknown_route(_: NotFoundError) -> Response:
        event = app.current_event
        return _json(404, NotFound(f"no route {event.http_method} {event.path}; /swagger lists the routes").to_body())

    return app
