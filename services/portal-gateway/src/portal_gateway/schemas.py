"""What every request body of the public API shares: no unknown fields, and JSON's own
types with nothing coerced into them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _exact_int(value: Any) -> Any:
    # Litestar validates bodies in lax mode, where true and "5" pass as numbers.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


def _exact_bool(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


# JSON's own types, nothing coerced into them.
WholeNumber = Annotated[int, BeforeValidator(_exact_int)]
Flag = Annotated[bool, BeforeValidator(_exact_bool)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
