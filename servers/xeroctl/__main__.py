"""``python -m servers.xeroctl`` runs xeroctl (what the console script runs)."""

from . import main

main()
