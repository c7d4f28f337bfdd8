-- PostgreSQL as the peer a city would pick instead of gridcased: the rows
-- and keys one report writes in gridcased, in one transaction (see
-- pg-report.sql): the case, a journal entry carrying the previous entry's
-- SHA-256, the idempotency record keyed by client id and sequence, a
-- deadline and a queue entry. Debian's defaults: fsync and
-- synchronous_commit on.
CREATE TABLE cases (
    id text PRIMARY KEY,
    grid text NOT NULL,
    category text NOT NULL,
    severity smallint NOT NULL,
    state smallint NOT NULL,
    holder text NOT NULL,
    title text NOT NULL,
    created_at bigint NOT NULL,
    response_due bigint NOT NULL,
    resolution_due bigint NOT NULL,
    journal_seq bigint NOT NULL,
    record bytea NOT NULL          -- the whole case, as gridcased keeps it packed
);
CREATE TABLE journal (
    seq bigint PRIMARY KEY,
    time bigint NOT NULL,
    case_id text NOT NULL,
    actor text NOT NULL,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL,
    entry bytea NOT NULL
);
-- The chain's head: the previous entry's hash, taken under its row lock, as
-- a hash chain needs (one writer at a time, like gridcased's)
CREATE TABLE chain (id int PRIMARY KEY, seq bigint NOT NULL, prev bytea NOT NULL, hash bytea NOT NULL);
INSERT INTO chain VALUES (1, 0, sha256(''::bytea), sha256(''::bytea));
CREATE SEQUENCE journal_seq;
CREATE TABLE request_ids (
    client_id bytea NOT NULL,
    sequence bigint NOT NULL,
    at bigint NOT NULL,
    reply bytea NOT NULL,
    PRIMARY KEY (client_id, sequence)
);
CREATE TABLE deadlines (
    due bigint NOT NULL,
    case_id text NOT NULL,
    kind smallint NOT NULL,
    PRIMARY KEY (due, case_id, kind)
);
CREATE TABLE queue_entries (
    queue text NOT NULL,
    rank bigint NOT NULL,
    case_id text NOT NULL,
    PRIMARY KEY (queue, rank, case_id)
);

-- One report in one call (one round trip, as an application would do it
-- with a stored procedure): the case, its journal entry chained to the
-- previous one under the head's row lock, the idempotency row, a deadline
-- and a queue entry
CREATE FUNCTION report(client bigint, chained boolean) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
    s bigint;
    prev_hash bytea;
    new_hash bytea;
    id text;
BEGIN
    IF chained THEN
        UPDATE chain SET seq = seq + 1, prev = hash,
            hash = sha256(hash || convert_to('report ' || (seq + 1)::text, 'UTF8'))
            WHERE chain.id = 1 RETURNING chain.seq, chain.prev, chain.hash INTO s, prev_hash, new_hash;
    ELSE
        -- Without the chain's lock: reports do not wait for each other, and
        -- the entry carries no previous hash (not a hash chain)
        s := nextval('journal_seq');
        prev_hash := sha256(''::bytea);
        new_hash := sha256(convert_to('report ' || s::text, 'UTF8'));
    END IF;
    id := 'R' || s::text;
    INSERT INTO journal VALUES (s, now_ms, id, 'officer:o-haihong-01', prev_hash, new_hash,
        convert_to(repeat('e', 420), 'UTF8'));
    INSERT INTO cases VALUES (id, 'haihong-01', 'gas-leak', 1, 1, 'grid/haihong-01',
        'gas smell, stairwell 3', now_ms, now_ms + 900000, now_ms + 14400000, s,
        convert_to(repeat('c', 520), 'UTF8'));
    INSERT INTO request_ids VALUES (int8send(client) || int8send(s), s, now_ms,
        convert_to(repeat('r', 560), 'UTF8'));
    INSERT INTO deadlines VALUES (now_ms + 900000, id, 1);
    INSERT INTO queue_entries VALUES ('grid/haihong-01', s, id);
    RETURN s;
END
$$;
