"""XEM domain: protocol frames, capability manifests, join keys, key fingerprints. Pure Python: no I/O."""
