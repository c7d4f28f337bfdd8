-- One report as gridcased writes it, one transaction of one call
-- (pg-schema.sql's report()): the journal chained under the head's lock
SELECT report(:client_id, true);
