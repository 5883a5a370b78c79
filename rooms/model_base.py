"""The base of every typed model of the domain."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Base of every model: strict about unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)
