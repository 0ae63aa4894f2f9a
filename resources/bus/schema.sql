-- bus database schema snapshot (kept in step with resources/bus/migrations by tests/servers/test_migrations.py)
CREATE SCHEMA xem;
