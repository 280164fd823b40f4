"""The one exception the service's logic raises for a client-facing refusal: an HTTP status and a message."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def bad_request(detail: str) -> ApiError:
    return ApiError(400, detail)


def unauthorized(detail: str) -> ApiError:
    return ApiError(401, detail, {"WWW-Authenticate": "Bearer"})


def forbidden(detail: str) -> ApiError:
    return ApiError(403, detail)


def not_found(detail: str) -> ApiError:
    return ApiError(404, detail)


def conflict(detail: str) -> ApiError:
    return ApiError(409, detail)
