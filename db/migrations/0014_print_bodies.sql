-- The print file at district size (issue 5, speed): the freeze renders the run's bill records
-- (B, R, C, U and account M lines, in account order; docs/formats/bill-print-file.md) while it
-- posts, from the ledger as it stood just before the posting, and keeps them here; `bill
-- print-file` then adds only the header, the global message and the trailer. A run frozen
-- before this migration has no row and is rendered when it is printed.
--
-- body is the records' UTF-8 text, each line ending in a line break, as one raw DEFLATE
-- stream (zlib level 1, wbits -15; a 25,000-bill cycle's 31 MB become about 4.7 MB); the
-- freeze may write it in two parts (db/print_bodies.py). The counts (records of each type)
-- and sums are the body's, for the trailer and the manifest. Written once by the freeze, in
-- its transaction; never changed.

CREATE TABLE print_bodies (
    run_id           INTEGER PRIMARY KEY REFERENCES billing_runs(id),
    body             BLOB NOT NULL,
    bills            INTEGER NOT NULL CHECK (bills >= 0),
    current_cents    INTEGER NOT NULL,
    total_due_cents  INTEGER NOT NULL,
    counts           TEXT NOT NULL          -- JSON: records of each type, e.g. {"B": 487, ...}
) STRICT;

CREATE TRIGGER print_bodies_no_update BEFORE UPDATE ON print_bodies
BEGIN
    SELECT RAISE(ABORT, 'print_bodies is append-only');
END;

CREATE TRIGGER print_bodies_no_delete BEFORE DELETE ON print_bodies
BEGIN
    SELECT RAISE(ABORT, 'print_bodies is append-only');
END;
