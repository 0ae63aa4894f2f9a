"""XEM exceptions; each carries a stable ``code`` from the suite's error codes.

Hierarchy::

    Exception
    └── XemError                  code + message a client or operator may read
        ├── FrameRejected         a frame that is malformed, of an unknown kind or version (invalid_argument)
        ├── EnrollmentRefused     a join key that is reused, expired, for another role, badly signed (unauthorized)
        ├── ParameterRefused      a tool parameter that fails validation or would escape the workspace (invalid_argument)
        ├── ConfigError           an agent configuration file that cannot be used (invalid_argument)
        └── AgentStateError       an operator action that does not fit the agent's state (not_found, conflict)

The domain package never imports ``servers``: the codes are plain strings the server layer maps.
"""

from __future__ import annotations

__all__ = ["AgentStateError", "ConfigError", "EnrollmentRefused", "FrameRejected", "ParameterRefused", "XemError"]


class XemError(Exception):
    code = "internal"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class FrameRejected(XemError):
    code = "invalid_argument"


class EnrollmentRefused(XemError):
    """``reason`` is a short machine word (reused, expired, wrong_role, bad_signature, unknown, malformed)."""

    code = "unauthorized"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ParameterRefused(XemError):
    code = "invalid_argument"


class ConfigError(XemError):
    code = "invalid_argument"


class AgentStateError(XemError):
    code = "conflict"
