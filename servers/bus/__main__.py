"""``python -m servers.bus`` runs bus-mcp (what ``xeroctl up`` starts)."""

from . import main

main()
