"""Every error is JSON ``{"code", "message"}`` with a stable code, never a stack trace."""

from __future__ import annotations

import time

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

__all__ = ["ApiError", "error_response", "register"]


class ApiError(Exception):
    """An error the API answers with: HTTP status, stable code, and what to do."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_response(status: int, code: str, message: str):
    response = jsonify({"code": code, "message": message})
    response.status_code = status
    return response


def register(app: Flask, max_upload_mb: float, rate_limit_per_min: int) -> None:
    """The app's error handlers: its own errors, HTTP errors (404, 405, 413, 429) and anything unexpected."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        response = error_response(exc.status, exc.code, exc.message)
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        retry_after = 60 - int(time.time()) % 60  # the limit's window is a clock minute
        codes = {
            404: ("not_found", "no such route; the API is under /v1 (see /openapi.json)"),
            405: ("method_not_allowed", f"{request.method} is not allowed here"),
            413: (
                "too_large",
                f"the upload is larger than {max_upload_mb:g} MB (CALLSCOPE_MAX_UPLOAD_MB); "
                "split the recording or raise the limit",
            ),
            429: (
                "rate_limited",
                f"more than {rate_limit_per_min} requests this minute; retry in {retry_after} s",
            ),
        }
        code, message = codes.get(exc.code, ("http_error", exc.description or exc.name))
        response = error_response(exc.code or 500, code, message)
        response.headers.update({k: v for k, v in exc.get_headers() if k.lower() == "allow"})  # RFC 9110 on 405
        if exc.code == 429:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unexpected error")
        return error_response(500, "internal_error", "the server failed to handle this request; it has been logged")
