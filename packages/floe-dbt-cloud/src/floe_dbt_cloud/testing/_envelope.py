"""The Admin API's envelopes: ``{"status": {...}, "data": ...}`` (+ ``extra`` for lists)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "NOT_FOUND",
    "ApiError",
    "envelope",
    "error_payload",
    "list_envelope",
    "status_block",
]

NOT_FOUND = (
    "The requested resource was not found. Please check that you have the proper permissions."
)


class ApiError(Exception):
    """An API refusal, sent as an envelope with ``is_success: false``."""

    def __init__(self, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers or {}


def status_block(code: int, message: str | None = None) -> dict[str, Any]:
    return {
        "code": code,
        "is_success": code < 400,
        "user_message": message or "Success!",
        "developer_message": "" if code < 400 else (message or ""),
    }


def envelope(data: Any) -> dict[str, Any]:
    return {"status": status_block(200), "data": data}


def error_payload(code: int, message: str) -> dict[str, Any]:
    return {"status": status_block(code, message), "data": None}


def list_envelope(
    items: list[Any], filters: dict[str, Any], order_by: str, total: int
) -> dict[str, Any]:
    return {
        "status": status_block(200),
        "data": items,
        "extra": {
            "filters": filters,
            "order_by": order_by,
            "pagination": {"count": len(items), "total_count": total},
        },
    }
