"""Workspaces: their kinds and the one allowed kind transition (declared as data), the three model roles and the
rules of a binding (``WorkspaceModelBindingValidator``), and the gate that says whether a workspace's tools run.

A workspace is open only when it is ``operational`` and its planner, executor and verifier are each bound to a
catalog model that is available. Anything else is closed, with a reason that names what is missing and the
command that fixes it (the product fails closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xem.errors import Conflict, InvalidArgument, InvalidTransition, NotFound

__all__ = ["KINDS", "KIND_TRANSITIONS", "MODEL_PATTERN", "ROLES", "Gate", "Kind", "ModelInfo", "Role",
           "WorkspaceModelBindingValidator", "check_kind_transition", "gate_of"]

Kind = Literal["chat", "operational"]
Role = Literal["planner", "executor", "verifier"]
KINDS: tuple[str, ...] = ("chat", "operational")
ROLES: tuple[str, ...] = ("planner", "executor", "verifier")
MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,127}$"
# (from, to) -> allowed. Promotion only: an operational workspace never goes back to chat.
KIND_TRANSITIONS: dict[tuple[str, str], bool] = {
    ("chat", "operational"): True,
    ("operational", "chat"): False,
    ("chat", "chat"): False,
    ("operational", "operational"): False,
}


def check_kind_transition(name: str, current: str, target: str) -> None:
    """Raises InvalidTransition (a demotion) or Conflict (already of that kind); nothing is changed by the caller."""
    if KIND_TRANSITIONS.get((current, target)):
        return
    if current == target:
        raise Conflict(f"workspace {name} is already {current}; nothing to do (see `xeroctl workspaces list`)")
    raise InvalidTransition(f"workspace {name} cannot go from {current} to {target}: promotion is one way (chat -> "
                            "operational), a demotion is refused; create another workspace of kind chat instead")


class ModelInfo(BaseModel):
    """One entry of the model catalog (what an operator or an inference host reported last)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=MODEL_PATTERN)
    provider: str = Field("unknown", min_length=1, max_length=64)
    available: bool
    reported_by: str = Field(max_length=100)


class WorkspaceModelBindingValidator:
    """The rules of a three-model binding (checked before anything is written):

    1. a role is one of planner, executor, verifier;
    2. each model named is in the model catalog (availability is not required to bind: an unavailable model keeps
       the workspace closed until it is available again);
    3. the verifier is not the executor's model (a model does not verify its own work); the planner may be either.
    """

    @staticmethod
    def validate(workspace: str, bindings: dict[str, str], catalog: dict[str, ModelInfo]) -> None:
        """``bindings`` is the full role -> model map after the change. Raises InvalidArgument, NotFound."""
        for role, model in sorted(bindings.items()):
            if role not in ROLES:
                raise InvalidArgument(f"{role!r} is not a model role; the roles are planner, executor, verifier")
            if model not in catalog:
                raise NotFound(f"no model {model!r} in the model catalog (for the {role} of workspace {workspace}); "
                               f"add it with `xeroctl models set {model} --available`, see `xeroctl models list`")
        if bindings.get("verifier") is not None and bindings.get("verifier") == bindings.get("executor"):
            raise InvalidArgument(f"workspace {workspace}: the verifier must be another model than the executor "
                                  f"({bindings['executor']}); bind a different --verifier")


@dataclass(frozen=True)
class Gate:
    open: bool
    reason: str = ""  # for a closed workspace: "workspace ... is closed: ...; <next step>" (a Forbidden message)


def gate_of(name: str, kind: str | None, bindings: dict[str, str], catalog: dict[str, ModelInfo]) -> Gate:
    """Whether ``name``'s tools are listed and run (``kind`` None: the workspace has no record)."""
    if kind is None:
        return Gate(False, f"workspace {name} has no record, so it is closed; create it with "
                           f"`xeroctl workspaces create {name} --kind operational` and bind its three models")
    if kind == "chat":
        return Gate(False, f"workspace {name} is a chat workspace (knowledge only): its tools are never "
                           f"run; promote it with `xeroctl workspaces promote {name}` and bind its three models")
    for role in ROLES:
        model = bindings.get(role)
        if model is None:
            return Gate(False, f"workspace {name} is closed: no {role} model bound; bind one with "
                               f"`xeroctl workspaces bind {name} --{role} MODEL`")
        info = catalog.get(model)
        if info is None or not info.available:
            return Gate(False, f"workspace {name} is closed: {role} model {model} unavailable; bind one "
                               f"with `xeroctl workspaces bind {name} --{role} MODEL` or wait until it is available "
                               f"(`xeroctl models set {model} --available`)")
    return Gate(True)
