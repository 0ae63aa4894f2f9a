"""The Operational Domain Model: domain -> store -> services, composed by ``odm.bootstrap``."""
