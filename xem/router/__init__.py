"""The XEM router process: a CURVE ROUTER socket, its ZAP handler, frame handling and housekeeping."""

from xem.keyfiles import router_keys_dir
from xem.router._router import Router

__all__ = ["Router", "router_keys_dir"]
