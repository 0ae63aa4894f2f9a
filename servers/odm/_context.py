"""What every ODM adapter module shares: the services of this process, the "given arguments" rule, and
argument types used by several tools."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field, WithJsonSchema

from odm.domain.types import Ref
from odm.services import OdmServices
from servers.app import runtime_of

__all__ = ["Refs", "given", "services", "with_keyword_argument"]

PLAIN_LIST = WithJsonSchema({"type": "array", "items": {"type": "string"}})  # bounded, advertised plainly
Refs = Annotated[list[Ref], Field(max_length=100), PLAIN_LIST]


def services(ctx: Context) -> OdmServices:
    odm: OdmServices = runtime_of(ctx).services
    return odm


def given(**values: Any) -> dict[str, Any]:
    """The arguments the caller actually passed (None means 'leave as it is')."""
    return {k: v for k, v in values.items() if v is not None}


def with_keyword_argument(fn: Any, name: str, annotation: Any, *, after: str) -> Any:
    """``fn`` (which takes ``**extra``) advertising a keyword-only ``name: annotation = None`` after ``after``.

    For an argument the spec names with a Python keyword (``from``): the SDK builds the schema, and a resource
    template's parameter check, from ``__signature__``, and passes the value by name, into ``**extra``.
    """
    hints = inspect.get_annotations(fn, eval_str=True)
    params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in inspect.signature(fn).parameters.values()
              if p.kind is not inspect.Parameter.VAR_KEYWORD]
    extra = inspect.Parameter("extra", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
    object.__setattr__(extra, "_name", name)  # inspect.Parameter refuses a keyword as a name
    out: list[inspect.Parameter] = []
    for p in params:
        keyword = p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD or out and out[-1].kind is inspect.Parameter.KEYWORD_ONLY
        out.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if keyword or p.default is not inspect.Parameter.empty else p)
        if p.name == after:
            out.append(extra)
    fn.__signature__ = inspect.Signature(out, return_annotation=hints.get("return", inspect.Signature.empty))
    fn.__annotations__ = {**hints, name: annotation}  # pydantic's validate_call reads the hints by name
    return fn
