"""The doudi GraphQL API (strawberry on starlette).

``core.api.app.create_app`` builds the ASGI app; ``core.api.schema`` holds the schema
(``core.api.schema.schema``) and ``core.api.schema.sdl()``.
"""

from __future__ import annotations

from core.api.app import create_app
from core.api.schema import sdl

__all__ = ["create_app", "sdl"]
