-- The learnings key of an invocation's (redacted) arguments, computed when it is created, so the router can record
-- a result, settle the invocation and count the learning in one statement; null on invocations created before it
-- (their results take the general path, which computes the key).
ALTER TABLE xem.invocations ADD COLUMN params_key text;
