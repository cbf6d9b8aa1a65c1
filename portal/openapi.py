"""Schema post-processing: the answers every operation can give, documented once for all."""

from __future__ import annotations

from typing import Any

ERROR_REF = {"$ref": "#/components/schemas/Error"}

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
