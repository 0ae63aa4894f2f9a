"""Bus store: asyncpg queries, SQL written out, one small class per aggregate over one connection."""
