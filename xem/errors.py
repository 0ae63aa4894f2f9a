"""XEM errors: the suite's shared codes (``servers.kernel.errors``) and the XEM refusals built on them.

Hierarchy::

    SuiteError (servers.kernel.errors)
    ├── InvalidArgument
    │   ├── FrameRejected       a frame that is malformed, of an unknown kind or version
    │   ├── ParameterRefused    a tool parameter that fails validation or would escape the workspace
    │   └── ConfigError         an agent configuration file that cannot be used
    ├── Unauthorized
    │   └── EnrollmentRefused   a join key that is reused, expired, for another role, badly signed
    └── Conflict
        └── AgentStateError     an operator action that does not fit the agent's state (code may be
                                not_found or invalid_argument instead)
"""

from __future__ import annotations

from servers.kernel.errors import Conflict, Forbidden, InvalidArgument, InvalidTransition, NotFound, SuiteError, Unauthorized

__all__ = ["AgentStateError", "ConfigError", "Conflict", "EnrollmentRefused", "Forbidden", "FrameRejected", "InvalidArgument",
           "InvalidTransition", "NotFound", "ParameterRefused", "SuiteError"]


class FrameRejected(InvalidArgument):
    pass


class EnrollmentRefused(Unauthorized):
    """``reason`` is a short machine word (reused, expired, wrong_role, bad_signature, unknown, malformed)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ParameterRefused(InvalidArgument):
    pass


class ConfigError(InvalidArgument):
    pass


class AgentStateError(Conflict):
    pass
