"""Bus domain: models, lifecycles and rules, with no I/O."""
