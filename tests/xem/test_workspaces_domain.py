"""Workspace rules without a database: the kind transitions (every allowed and refused one), the binding rules of
WorkspaceModelBindingValidator, the gate's reasons, and the scope check."""

from __future__ import annotations

import pytest

from servers.kernel.errors import Conflict, InvalidArgument, InvalidTransition, NotFound
from xem.domain.scope import Scope, path_arguments, scope_violation
from xem.domain.workspaces import (
    KIND_TRANSITIONS,
    KINDS,
    ModelInfo,
    WorkspaceModelBindingValidator,
    check_kind_transition,
    gate_of,
)

CATALOG = {m: ModelInfo(id=m, available=m != "down", reported_by="t") for m in ("p", "e", "v", "down")}


@pytest.mark.parametrize("current,target", [pair for pair, allowed in KIND_TRANSITIONS.items() if allowed])
def test_an_allowed_kind_transition_passes(current, target):
    check_kind_transition("w", current, target)


@pytest.mark.parametrize("current,target", [pair for pair, allowed in KIND_TRANSITIONS.items() if not allowed])
def test_a_refused_kind_transition_raises_with_the_reason(current, target):
    with pytest.raises(Conflict if current == target else InvalidTransition) as info:
        check_kind_transition("w", current, target)
    assert "w" in str(info.value) and ("demotion" in str(info.value) or "already" in str(info.value))


def test_the_transition_table_covers_every_pair_of_kinds():
    assert set(KIND_TRANSITIONS) == {(a, b) for a in KINDS for b in KINDS}


@pytest.mark.parametrize("bindings,error,words", [
    ({"planner": "nope"}, NotFound, "xeroctl models set nope --available"),
    ({"critic": "p"}, InvalidArgument, "planner, executor, verifier"),
    ({"executor": "e", "verifier": "e"}, InvalidArgument, "another model than the executor"),
])
def test_a_binding_breaking_a_rule_is_refused_naming_the_fix(bindings, error, words):
    with pytest.raises(error) as info:
        WorkspaceModelBindingValidator.validate("w", bindings, CATALOG)
    assert words in str(info.value)


@pytest.mark.parametrize("bindings", [{"planner": "p", "executor": "e", "verifier": "v"},
                                      {"planner": "e", "executor": "e", "verifier": "v"},
                                      {"planner": "down"}])
def test_a_binding_within_the_rules_passes_even_to_an_unavailable_model(bindings):
    WorkspaceModelBindingValidator.validate("w", bindings, CATALOG)


@pytest.mark.parametrize("kind,bindings,reason", [
    (None, {}, "workspace w has no record"),
    ("chat", {"planner": "p", "executor": "e", "verifier": "v"}, "workspace w is a chat workspace"),
    ("operational", {"planner": "p", "executor": "e"}, "workspace w is closed: no verifier model bound; bind one with "
                                                       "`xeroctl workspaces bind w --verifier MODEL`"),
    ("operational", {"planner": "p", "executor": "down", "verifier": "v"}, "workspace w is closed: executor model down unavailable"),
    ("operational", {"planner": "gone", "executor": "e", "verifier": "v"}, "workspace w is closed: planner model gone unavailable"),
])
def test_a_workspace_is_closed_unless_operational_with_three_available_models(kind, bindings, reason):
    gate = gate_of("w", kind, bindings, CATALOG)
    assert not gate.open and gate.reason.startswith(reason), gate.reason


def test_an_operational_workspace_with_three_available_models_is_open():
    assert gate_of("w", "operational", {"planner": "p", "executor": "e", "verifier": "v"}, CATALOG).open


SCHEMA = {"properties": {"path": {"type": "string", "format": "path"}, "msg": {"type": "string"}}}


@pytest.mark.parametrize("arguments,allowed", [
    ({"path": "logs/a.txt", "msg": "ok"}, True),
    ({"path": "logs", "msg": "ok"}, True),
    ({"path": "./logs/x/../b", "msg": "ok"}, True),
    ({"path": "logsx/a", "msg": "ok"}, False),
    ({"path": "logs/../../etc", "msg": "ok"}, False),
    ({"path": "/etc/passwd", "msg": "ok"}, False),
    ({"msg": "NOT"}, False),
    ({"msg": "ok", "other": "logs/../x"}, True),  # not a path argument
])
def test_the_scope_allows_only_paths_under_its_prefixes_and_values_matching_its_patterns(arguments, allowed):
    scope = Scope(path_prefixes=("logs/",), patterns={"echo.msg": "[a-z]+", "msg": ".*"})
    violation = scope_violation(scope, "w", "echo", arguments, path_arguments(SCHEMA))
    assert (violation is None) == allowed, violation
    if violation is not None:
        assert "outside workspace w's scope" in violation and "xeroctl workspaces scope w" in violation


def test_an_empty_scope_allows_everything_and_a_bad_scope_does_not_validate():
    assert scope_violation(Scope(), "w", "t", {"path": "/anything"}, frozenset({"path"})) is None
    for bad in ({"path_prefixes": ["../x"]}, {"patterns": {"a": "("}}, {"patterns": {"bad key!": "x"}}, {"colour": 1}):
        with pytest.raises(ValueError):
            Scope.model_validate(bad)
