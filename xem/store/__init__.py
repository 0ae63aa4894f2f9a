"""asyncpg queries on the bus database, schema ``xem``; one class per aggregate, on a caller's connection.

The services own the transactions; these classes only run SQL with bound parameters.
"""

from ._agents import AgentKey, Agents
from ._audit import Audit
from ._dispatches import Dispatches
from ._joinkeys import JoinKeys

__all__ = ["AgentKey", "Agents", "Audit", "Dispatches", "JoinKeys"]
