"""The Operational Domain Model: domain, lifecycles, numbering, ledgers, store and services."""
