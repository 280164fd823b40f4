"""The HTTP API's routers: auth, KYC, credit."""

from __future__ import annotations

from typing import Any

Responses = dict[int | str, dict[str, Any]]
