"""Chat template rules without a database: the shipped platform files, resolution by scope and version, the
approval cadences over every risk, rendering, and document checks beyond the schema."""

from __future__ import annotations

import pytest

from servers.xem.template_files import load_library, load_schema
from xem.domain.templates import CADENCES, ChatTemplate, check_document, needs_approval, parse_ref, render, resolve
from xem.errors import InvalidArgument

RISKS = ("read", "write", "destructive", "irreversible")


def doc(name: str = "t", **extra):
    return {"name": name, "description": "d", "system_prompt": "hello ${who} in ${workspace}", "allowed_tools": ["echo"],
            "approval_cadence": "per_policy", "variables": [{"name": "who", "required": True}], **extra}


def made(scope: str, owner: str, version: int, cadence: str = "per_policy") -> ChatTemplate:
    return ChatTemplate("t", scope, owner, version, doc(approval_cadence=cadence))  # type: ignore[arg-type]


def test_every_shipped_platform_template_matches_the_published_schema():
    library = load_library()
    assert {"incident_triage", "safe_deploy", "disk_cleanup"} <= set(library.platform)
    assert {t.cadence for t in library.platform.values()} >= {"every_destructive", "once_per_session"}


ALL = [made("platform", "", 1), made("project", "p1", 1), made("project", "p1", 2), made("workspace", "ws", 1),
       made("project", "p2", 1)]


@pytest.mark.parametrize("workspace, project, ref, expected", [
    ("ws", "p1", "t", ("workspace", "ws", 1)),
    ("ws2", "p1", "t", ("project", "p1", 2)),
    ("ws2", "p1", "t@1", ("project", "p1", 1)),
    ("ws3", None, "t", ("platform", "", 1)),
    ("ws3", "p9", "t", ("platform", "", 1)),
    ("ws2", "p1", "t@7", None),  # pinned to a version its scope lacks: no fall-through to a wider scope
])
def test_resolution_prefers_workspace_then_project_then_platform_by_name(workspace, project, ref, expected):
    found = resolve(ALL, parse_ref(ref), workspace=workspace, project_id=project)
    assert (None if found is None else (found.scope, found.owner, found.version)) == expected


@pytest.mark.parametrize("cadence", [*CADENCES, None])
@pytest.mark.parametrize("risk", RISKS)
@pytest.mark.parametrize("policy_required", [False, True])
@pytest.mark.parametrize("session_approved", [False, True])
def test_the_approval_cadence_decides_over_every_risk_and_policy(cadence, risk, policy_required, session_approved):
    template = made("workspace", "ws", 1, cadence) if cadence else None
    asks = needs_approval(template, risk, policy_required=policy_required, session_approved=session_approved)
    gated = policy_required or risk in ("destructive", "irreversible")
    expected = {None: policy_required, "per_policy": policy_required, "every_destructive": gated,
                "once_per_session": gated and not session_approved}[cadence]
    assert asks is expected


def test_rendering_fills_variables_and_defaults_and_names_a_missing_one():
    t = ChatTemplate("t", "platform", "", 1, doc())
    assert render(t, "ops", {"who": "dana"})[0] == "hello dana in ops"
    with pytest.raises(InvalidArgument, match="needs who"):
        render(t, "ops", {})
    with pytest.raises(InvalidArgument, match="takes no argument colour"):
        render(t, "ops", {"who": "x", "colour": "red"})


@pytest.mark.parametrize("document, words", [
    (doc(approval_cadence="sometimes"), "approval_cadence"),
    (doc(allowed_tools=[]), "allowed_tools"),
    (doc(sub_agentic_tool_scope=["wipe"]), "sub_agentic_tool_scope"),
    (doc(sub_agentic_max_iterations=0), "sub_agentic_max_iterations"),
    (doc(system_prompt="pay $5"), "$$"),
    (doc(system_prompt="${nope}"), "nope"),
    (doc(variables=[{"name": "who"}, {"name": "who"}]), "twice"),
    (doc(variables=[{"name": "workspace"}]), "variables"),
])
def test_a_document_that_breaks_the_schema_or_its_rules_names_the_field(document, words):
    with pytest.raises(InvalidArgument, match=None) as refused:
        check_document(document, load_schema())
    assert words in str(refused.value) and str(refused.value).startswith("template ")


@pytest.mark.parametrize("ref", ["T", "t@0", "t@x", "", "a" * 49])
def test_a_malformed_template_reference_is_invalid_argument(ref):
    with pytest.raises(InvalidArgument):
        parse_ref(ref)
