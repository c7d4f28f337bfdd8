-- pg-report.sql without the chain's lock: the upper bound of PostgreSQL for
-- the same rows (no hash chain)
SELECT report(:client_id, false);
