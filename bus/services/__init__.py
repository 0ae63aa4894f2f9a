"""Bus services: one use case per method, one transaction each; what tools, xeroctl and the scanner call."""
