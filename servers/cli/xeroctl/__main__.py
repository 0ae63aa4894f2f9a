"""``python -m servers.xeroctl`` runs xeroctl (what the console script runs)."""

from servers.cli.xeroctl import main

main()
