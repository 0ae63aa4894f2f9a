"""The XEM execution agent: TOML config, config discovery, tool execution and the SQLite dispatch queue."""

from xem.agent._agent import Agent
from xem.agent._config import AgentConfig, load_config
from xem.agent._params import ParamSpec, build_argv, input_schema
from xem.agent._queue import Queue

__all__ = ["Agent", "AgentConfig", "ParamSpec", "Queue", "build_argv", "input_schema", "load_config"]
