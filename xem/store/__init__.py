"""asyncpg queries on the bus database, schema ``xem``; one class per aggregate, on a caller's connection.

The services own the transactions; these classes only run SQL with bound parameters.
"""

from xem.store._agents import AgentKey, Agents
from xem.store._audit import Audit
from xem.store._dispatches import Dispatches
from xem.store._joinkeys import JoinKeys

__all__ = ["AgentKey", "Agents", "Audit", "Dispatches", "JoinKeys"]
