"""XEM: protocol frames, keys, enrollment, router, agent, dispatch queue, invocations."""
