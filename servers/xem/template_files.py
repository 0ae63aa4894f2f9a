"""The published chat-template schema (``resources/xem/chat_template.schema.json``) and the platform chat templates
shipped as JSON files in ``prompts/xem/`` (one per template, ``<name>.json``), loaded and checked once at start."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from prompts import prompt_path
from resources import resource_path
from servers.kernel.errors import StartupError, SuiteError
from xem.domain.templates import ChatTemplate, TemplateLibrary, check_document

__all__ = ["load_library", "load_schema"]


@functools.cache
def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(resource_path("xem", "chat_template.schema.json").read_text())
    return schema


def load_library(directory: Path | None = None) -> TemplateLibrary:
    """The schema and every ``*.json`` platform template. Raises StartupError naming a file that is not valid."""
    schema = load_schema()
    found: dict[str, ChatTemplate] = {}
    for path in sorted((directory or prompt_path("xem")).glob("*.json")):
        try:
            document = check_document(json.loads(path.read_text()), schema)
        except (ValueError, SuiteError) as exc:
            raise StartupError("invalid_argument", f"platform chat template {path.name}: {exc}") from None
        if f"{document['name']}.json" != path.name:
            raise StartupError("invalid_argument", f"platform chat template {path.name} declares name {document['name']!r}; "
                               "the file is named after its template")
        found[document["name"]] = ChatTemplate(document["name"], "platform", "", int(document.get("version", 1)), document)
    return TemplateLibrary(schema=schema, platform=found)
