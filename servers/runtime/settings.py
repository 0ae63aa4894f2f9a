"""Suite-wide settings read from the environment (``XIOPRO_*``), validated once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from servers.kernel.errors import StartupError

__all__ = ["SuiteSettings", "default_home", "load", "load_settings", "redact_dsn", "validate_dsn"]

_DSN_SCHEMES = ("postgresql", "postgres")


def default_home() -> Path:
    return Path("~/.local/share/xiopro").expanduser()


def redact_dsn(dsn: str) -> str:
    """The DSN with its password replaced by ``***`` (safe for logs and errors)."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return "<unparseable DSN>"
    if parts.password is None:
        return dsn
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def validate_dsn(value: str) -> str:
    """Check that ``value`` is a usable ``postgresql://`` URL; raises ValueError saying what is wrong."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a non-numeric port
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    if parts.scheme not in _DSN_SCHEMES:
        raise ValueError("must start with postgresql:// (e.g. postgresql://postgres@127.0.0.1:5432/bus)")
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"has port {port}, outside 1-65535")
    if not parts.path.strip("/"):
        raise ValueError("names no database (add /dbname after the host)")
    if "/" in parts.path.strip("/"):
        raise ValueError("has more than one path segment; the path must be just /dbname")
    return value


class SuiteSettings(BaseSettings):
    """Where the suite keeps its state and which PostgreSQL servers it uses.

    A DSN left unset means the embedded cluster under ``$XIOPRO_HOME/pgdata``.
    """

    model_config = SettingsConfigDict(env_prefix="XIOPRO_", extra="ignore")

    home: Path = Field(default_factory=default_home, description="state directory (embedded cluster, keys, logs)")
    bus_dsn: str | None = Field(default=None, description="PostgreSQL URL of the bus database")
    odm_dsn: str | None = Field(default=None, description="PostgreSQL URL of the odm database")
    odm_url: str | None = Field(default=None, description="MCP URL of the ODM server, for the Bus")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    http_auth: Literal["keys", "none"] = Field(
        default="keys", description="keys: every HTTP request needs Authorization: Bearer <key>; none: loopback only")
    http_allowed_origins: str = Field(
        default="", description="comma-separated extra Origin values allowed on a non-loopback HTTP address")
    odm_api_key: SecretStr | None = Field(default=None, description="API key the Bus presents to the ODM's HTTP API")
    event_loop: Literal["uvloop", "asyncio"] = Field(
        default="uvloop", description="event loop of the MCP servers: uvloop (asyncio where it is not installed) or asyncio"
    )

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @field_validator("bus_dsn", "odm_dsn", mode="after")
    @classmethod
    def _check_dsn(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return validate_dsn(value.strip())

    @field_validator("log_level", mode="after")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    def dsn_for(self, database: str) -> str | None:
        """The configured DSN of ``database`` ("bus" or "odm"), or None for the embedded cluster."""
        return {"bus": self.bus_dsn, "odm": self.odm_dsn}[database]

    def odm_mcp_url(self) -> str:
        """Where the Bus reaches the ODM: ``XIOPRO_ODM_URL``, or ``stdio`` (an odm-mcp child of its own)."""
        return self.odm_url or "stdio"


_S = TypeVar("_S", bound=BaseSettings)


def load(cls: type[_S], /, **overrides: object) -> _S:
    """Read a settings class from the environment; a bad value becomes one StartupError line naming the
    variable (``XIOPRO_BUS_SCAN_INTERVAL_S Input should be greater than 0; fix the variable and start again``).

    The one settings loader of the suite: SuiteSettings and every package's settings go through it.

    Raises:
        StartupError: a variable has a value the suite cannot use.
    """
    try:
        return cls(**overrides)  # type: ignore[arg-type]  # overrides are field values, checked by pydantic
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        message = err["msg"].removeprefix("Value error, ")
        if field:
            prefix = str(cls.model_config.get("env_prefix") or "")
            variable = field if field.startswith("XIOPRO_") else f"{prefix}{field}".upper()
            message = f"{variable} {message}"
        raise StartupError("invalid_argument", f"{message}; fix the variable and start again") from None


def load_settings(**overrides: object) -> SuiteSettings:
    """The suite-wide settings (``load(SuiteSettings)``).

    Raises:
        StartupError: a variable has a value the suite cannot use.
    """
    return load(SuiteSettings, **overrides)
