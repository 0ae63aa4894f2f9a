-- Baseline of the bus database. The XEM bridge keeps its tables here, in schema xem.
-- Later issues add the Bus and XEM tables in further numbered files.
CREATE SCHEMA IF NOT EXISTS xem;
