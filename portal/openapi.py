"""The OpenAPI schema: text fields say what the server takes, and the answers every
operation can give are documented once for all."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance
from rest_framework import serializers

ERROR_REF = {"$ref": "#/components/schemas/Error"}

# DRF's CharField refuses NUL (\x00) in any text; one that trims whitespace and may not be
# blank also refuses text of spaces only. The patterns say so, so a client (or a fuzzer)
# that follows the schema sends nothing the field refuses.
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\x00\s][^\x00]*$"


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, with the rules our request fields check that it leaves out:

    - a text field gets the pattern of what DRF's CharField takes (NO_NUL, or NOT_BLANK when
      it trims and may not be blank) unless it has a format, an enum or a pattern already;
    - `StrictCharField(schema={...})` adds what its service checks (a pattern, an enum);
    - a serializer with `unknown_fields_refused = True` says `additionalProperties: false`.
    """

    def _map_basic_serializer(self, serializer: Any, direction: str) -> Any:
        schema = super()._map_basic_serializer(serializer, direction)
        serializer = force_instance(serializer)
        if direction == "request":
            properties = schema.get("properties", {})
            for name, field in serializer.fields.items():
                if isinstance(field, serializers.CharField) and isinstance(
                    properties.get(name), dict
                ):
                    properties[name] = _text_schema(field, properties[name])
        if getattr(serializer, "unknown_fields_refused", False):
            schema["additionalProperties"] = False
        return schema


def _text_schema(field: serializers.CharField, schema: dict[str, Any]) -> dict[str, Any]:
    # drf-spectacular writes a blank-allowed field with a pattern as oneOf [pattern, ""];
    # here every pattern says itself whether "" is taken, so there is one schema.
    branches = schema.get("oneOf")
    if branches and len(branches) == 2 and branches[1] == {"type": "string", "maxLength": 0}:
        outer = {key: value for key, value in schema.items() if key != "oneOf"}
        schema = {**outer, **branches[0]}
    schema.update(getattr(field, "schema_extra", None) or {})
    if schema.get("type") == "string" and not {"format", "enum", "pattern"} & set(schema):
        blank_refused = field.trim_whitespace and not field.allow_blank
        schema["pattern"] = NOT_BLANK if blank_refused else NO_NUL
    return schema


# Why an operation may answer with an error the view itself does not mention: the framework
# gives these answers before or around the view (see portal.api_errors).
_COMMON_ERRORS = {
    "400": "`validation_error`: a parameter or the body is not valid",
    "401": "`not_authenticated`: no credentials, or they are not valid",
    "404": "`not_found`: nothing with this id belongs to the customer",
    "406": "`not_acceptable`: the Accept header names no media type this operation answers in",
    "413": "`payload_too_large`: the body is larger than the server accepts",
    "415": "`unsupported_media_type`: the body is not in one of the documented media types",
    "503": "`service_unavailable`: the database cannot be reached for a moment; try again",
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def document_common_errors(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Add the error answers each operation can give, and say that an empty optional query
    parameter means "not given" (`?kind=` lists every plan), as the views treat it."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            parameters = operation.get("parameters", [])
            query = [parameter for parameter in parameters if parameter["in"] == "query"]
            for parameter in query:
                if not parameter.get("required"):
                    parameter["allowEmptyValue"] = True

            # Any operation: the answer's media type is chosen from the Accept header, and
            # any may meet a database that is away (portal.outages).
            codes = ["406", "503"]
            if operation.get("security") and {} not in operation["security"]:
                codes.append("401")
            if any(parameter["in"] == "path" for parameter in parameters):
                codes.append("404")
            if query or "requestBody" in operation:
                codes.append("400")
            if "requestBody" in operation:
                codes.extend(["413", "415"])
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, _error(_COMMON_ERRORS[code]))
            operation["responses"] = dict(sorted(responses.items()))
    return result
