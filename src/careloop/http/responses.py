"""Answer with a model already built and checked, without FastAPI validating it a second time."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


class ModelResponse(Response):
    """The JSON of a response model the endpoint has just built (and pydantic has checked while building it).

    Returned from a route declared with `response_model=` (so the OpenAPI description stays the same), it
    skips FastAPI's second pass over the answer: validating every field again against the response model and
    serialising it on another thread-pool hop. For the pages read all day (the worklist, the patient record),
    that pass cost about as much as rendering the answer.
    """

    media_type = "application/json"

    def __init__(self, model: BaseModel, status_code: int = 200) -> None:
        # by_alias, as FastAPI serialises a response model by default.
        super().__init__(content=model.__pydantic_serializer__.to_json(model, by_alias=True), status_code=status_code)
