"""The Bus domain: agents, messages, events, leases, host capacity, alerts, todos."""
