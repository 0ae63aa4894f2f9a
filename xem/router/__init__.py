"""The XEM router process: a CURVE ROUTER socket, its ZAP handler, frame handling and housekeeping."""

from ..keys import router_keys_dir
from ._router import Router

__all__ = ["Router", "router_keys_dir"]
