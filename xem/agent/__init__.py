"""The XEM execution agent: TOML config, config discovery, tool execution and the SQLite dispatch queue."""

from ._agent import Agent
from ._config import AgentConfig, load_config
from ._params import ParamSpec, build_argv, input_schema
from ._queue import Queue

__all__ = ["Agent", "AgentConfig", "ParamSpec", "Queue", "build_argv", "input_schema", "load_config"]
