"""The Bus subsystem: agents, messages, events, leases, host capacity, alerts, todos.

``domain`` (models and rules, no I/O) -> ``store`` (SQL on the bus database, and the ODM gateway) ->
``services`` (one function per use case, under the unit of work of ``services._work``); ``bootstrap``
composes them into the ``BusServices`` of one process. ``servers.bus`` serves them over MCP.
"""
