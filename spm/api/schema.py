"""The error answers of every API operation, added to the OpenAPI schema.

Views document their success answers; the errors follow from the API's rules (DESIGN 5),
so one post-processing hook states them for every operation instead of each view:

- 400, field messages: operations with a body, query parameters or a paginated list;
- 401 and 403: every operation (no credentials; a role that may not act at all);
- 404: operations on one object (another organisation's is a 404 like a missing one)
  and paginated lists (a page past the end);
- 409: writes whose body carries a ``version`` (a stale version): ``detail`` and
  ``current``, the object as it is now, in the operation's own success shape;
- 414: every operation: the web server (gunicorn) refuses a request line longer than 4 KB
  before the application sees it, with a short HTML page.
"""

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": "Messages by field name; `non_field_errors` for the request as a whole.",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
}

DESCRIPTIONS = {
    "400": "Invalid input: messages by field. Nothing was changed.",
    "401": "No valid credentials.",
    "403": "Your role may not do this.",
    "404": "Not found (or outside what you may see, such as another organisation's).",
    "409": "Someone changed this since you read it: reload and try again.",
    "414": "The address is longer than the server accepts (4 KB): send fewer or shorter query parameters.",
}
# Answered by the web server itself, so not in the API's JSON.
URI_TOO_LONG = {
    "description": DESCRIPTIONS["414"],
    "content": {"text/html": {"schema": {"type": "string"}}},
}
WRITE_METHODS = {"post", "put", "patch"}


def _reference(name: str) -> dict:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _has_version(operation: dict, schemas: dict) -> bool:
    for media in operation.get("requestBody", {}).get("content", {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        schema = schemas.get(ref.rsplit("/", 1)[-1], media.get("schema", {}))
        if "version" in schema.get("properties", {}):
            return True
    return False


def _success_schema(operation: dict) -> dict:
    """The schema of the operation's success body (200 or 201), or any object."""
    for code in ("200", "201"):
        for media in operation["responses"].get(code, {}).get("content", {}).values():
            if "schema" in media:
                return media["schema"]
    return {"type": "object"}


def _conflict(operation: dict) -> dict:
    """The 409 of a write carrying ``version`` (``TenantAPIMixin.stale_version_response``)."""
    schema = {
        "type": "object",
        "properties": {
            "detail": {"type": "string"},
            "current": {
                "description": "The object as it is now, as this operation returns it.",
                "allOf": [_success_schema(operation)],
            },
        },
        "required": ["detail", "current"],
    }
    return {"description": DESCRIPTIONS["409"], "content": {"application/json": {"schema": schema}}}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook (``POSTPROCESSING_HOOKS``)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.get("parameters", [])
            one_object = "{" in path
            paginated = any(p.get("name") == "page" for p in parameters)
            queried = any(p.get("in") == "query" for p in parameters)
            codes = ["401", "403", "414"]
            if method in WRITE_METHODS or queried:
                codes.append("400")
            if one_object or paginated:
                codes.append("404")
            if method in WRITE_METHODS and _has_version(operation, schemas):
                codes.append("409")
            responses = operation["responses"]
            for code in sorted(codes):
                if code in responses:
                    continue
                if code == "414":
                    responses[code] = URI_TOO_LONG
                    continue
                if code == "409":
                    responses[code] = _conflict(operation)
                    continue
                body = "ValidationError" if code == "400" else "Error"
                responses[code] = {"description": DESCRIPTIONS[code], **_reference(body)}
    return result
