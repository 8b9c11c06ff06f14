-- Meter reads: imports with their file hash, per-read provenance, read exceptions and their
-- dispositions, the edit history of readings, and work orders (issue 4).
-- Imports, dispositions and edits are append-only: triggers refuse UPDATE and DELETE.

CREATE TABLE read_imports (
    id            INTEGER PRIMARY KEY,
    file_name     TEXT NOT NULL CHECK (file_name <> ''),
    file_sha256   TEXT NOT NULL UNIQUE,          -- the same file (by content) imports once
    byte_size     INTEGER NOT NULL,
    encoding      TEXT NOT NULL,
    cycle_id      INTEGER REFERENCES cycles(id),  -- --cycle, when given
    lines         INTEGER NOT NULL,
    reads         INTEGER NOT NULL,
    skips         INTEGER NOT NULL,
    exceptions    INTEGER NOT NULL,
    imported_by   TEXT NOT NULL CHECK (imported_by <> ''),
    imported_at   TEXT NOT NULL
) STRICT;

CREATE TRIGGER read_imports_no_update BEFORE UPDATE ON read_imports
BEGIN
    SELECT RAISE(ABORT, 'read_imports is append-only');
END;

CREATE TRIGGER read_imports_no_delete BEFORE DELETE ON read_imports
BEGIN
    SELECT RAISE(ABORT, 'read_imports is append-only');
END;

-- Provenance and the handheld/AMR fields of each read (FORMATS.md §6.1). Reads written before
-- this migration (history, the demo) have no import.
ALTER TABLE meter_reads ADD COLUMN import_id INTEGER REFERENCES read_imports(id);
ALTER TABLE meter_reads ADD COLUMN source_line INTEGER;
ALTER TABLE meter_reads ADD COLUMN read_at TEXT NOT NULL DEFAULT '';
ALTER TABLE meter_reads ADD COLUMN read_method TEXT NOT NULL DEFAULT ''
    CHECK (read_method IN ('', 'MANUAL', 'AMR', 'AMI', 'ESTIMATE', 'CUSTOMER'));
ALTER TABLE meter_reads ADD COLUMN estimate_method TEXT NOT NULL DEFAULT ''
    CHECK (estimate_method IN ('', 'last3', 'last_year'));
ALTER TABLE meter_reads ADD COLUMN trouble_code TEXT NOT NULL DEFAULT '';
ALTER TABLE meter_reads ADD COLUMN note_text TEXT NOT NULL DEFAULT '';
ALTER TABLE meter_reads ADD COLUMN hi_lo TEXT NOT NULL DEFAULT ''
    CHECK (hi_lo IN ('', 'H', 'L', 'Z', 'N'));
ALTER TABLE meter_reads ADD COLUMN leak INTEGER NOT NULL DEFAULT 0 CHECK (leak BETWEEN 0 AND 2);
ALTER TABLE meter_reads ADD COLUMN backflow INTEGER NOT NULL DEFAULT 0
    CHECK (backflow BETWEEN 0 AND 2);
ALTER TABLE meter_reads ADD COLUMN tamper INTEGER NOT NULL DEFAULT 0 CHECK (tamper IN (0, 1));
ALTER TABLE meter_reads ADD COLUMN no_usage_days INTEGER;
ALTER TABLE meter_reads ADD COLUMN reader_id TEXT NOT NULL DEFAULT '';
ALTER TABLE meter_reads ADD COLUMN endpoint_id TEXT NOT NULL DEFAULT '';
CREATE INDEX meter_reads_import ON meter_reads(import_id, source_line);

CREATE TABLE read_exceptions (
    id             INTEGER PRIMARY KEY,
    read_id        INTEGER REFERENCES meter_reads(id),   -- NULL: the meter was not read
    meter_id       INTEGER NOT NULL REFERENCES meters(id),
    account_id     INTEGER REFERENCES accounts(id),      -- NULL: a vacant premise
    cycle_id       INTEGER NOT NULL REFERENCES cycles(id),
    route_code     TEXT NOT NULL DEFAULT '',
    walk_order     INTEGER NOT NULL DEFAULT 0,
    read_on        TEXT NOT NULL,                        -- the read's date or the read day
    rule_id        TEXT NOT NULL CHECK (rule_id <> ''),
    severity       TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    severity_rank  INTEGER NOT NULL,                     -- 0 error, 1 warning: queue order
    verdict        TEXT NOT NULL,
    explanation    TEXT NOT NULL CHECK (explanation <> ''),
    expected       INTEGER,
    actual         INTEGER,
    threshold      TEXT NOT NULL DEFAULT '',
    facts          TEXT NOT NULL DEFAULT '{}',           -- JSON: the numbers the rule used
    skip_code      TEXT NOT NULL DEFAULT '',
    import_id      INTEGER REFERENCES read_imports(id),
    source_line    INTEGER,
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'waiting', 'resolved')),
    opened_by      TEXT NOT NULL,
    opened_at      TEXT NOT NULL,
    disposition    TEXT,
    resolved_by    TEXT,
    resolved_at    TEXT,
    version        INTEGER NOT NULL DEFAULT 1            -- bumped on every change: stale work refused
) STRICT;
CREATE INDEX read_exceptions_queue
    ON read_exceptions(status, severity_rank, route_code, walk_order, id);
CREATE INDEX read_exceptions_cycle ON read_exceptions(cycle_id, status, account_id);
CREATE INDEX read_exceptions_account ON read_exceptions(account_id, status);
CREATE INDEX read_exceptions_read ON read_exceptions(read_id);
CREATE INDEX read_exceptions_meter ON read_exceptions(meter_id, status);

CREATE TABLE work_orders (
    id              INTEGER PRIMARY KEY,
    order_type      TEXT NOT NULL CHECK (order_type IN
                      ('reread', 'meter_check', 'meter_change', 'leak_letter')),
    account_id      INTEGER REFERENCES accounts(id),
    meter_id        INTEGER REFERENCES meters(id),
    exception_id    INTEGER REFERENCES read_exceptions(id),
    reason          TEXT NOT NULL CHECK (reason <> ''),
    status          TEXT NOT NULL DEFAULT 'open'
                      CHECK (status IN ('open', 'scheduled', 'done', 'cancelled')),
    scheduled_on    TEXT,
    result_reading  INTEGER CHECK (result_reading IS NULL OR result_reading >= 0),
    result_note     TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL CHECK (created_by <> ''),
    created_at      TEXT NOT NULL,
    updated_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    done_by         TEXT,
    done_at         TEXT,
    version         INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX work_orders_status ON work_orders(status, id);
CREATE INDEX work_orders_account ON work_orders(account_id, id);
CREATE INDEX work_orders_exception ON work_orders(exception_id);

CREATE TABLE read_dispositions (
    id             INTEGER PRIMARY KEY,
    exception_id   INTEGER NOT NULL REFERENCES read_exceptions(id),
    disposition    TEXT NOT NULL CHECK (disposition IN ('accept', 'edit', 'estimate', 'reread',
                     'meter_check', 'meter_change', 'leak_letter', 'order_done',
                     'order_cancelled', 'superseded')),
    actor          TEXT NOT NULL CHECK (actor <> ''),
    at             TEXT NOT NULL,
    comment        TEXT NOT NULL DEFAULT '',
    details        TEXT NOT NULL DEFAULT '{}',           -- JSON
    work_order_id  INTEGER REFERENCES work_orders(id)
) STRICT;
CREATE INDEX read_dispositions_exception ON read_dispositions(exception_id, id);

CREATE TRIGGER read_dispositions_no_update BEFORE UPDATE ON read_dispositions
BEGIN
    SELECT RAISE(ABORT, 'read_dispositions is append-only');
END;

CREATE TRIGGER read_dispositions_no_delete BEFORE DELETE ON read_dispositions
BEGIN
    SELECT RAISE(ABORT, 'read_dispositions is append-only');
END;

-- Every change to a stored read: the value before and after, why, who and when. The first
-- edit's "before" is the reading as it came in.
CREATE TABLE read_edits (
    id             INTEGER PRIMARY KEY,
    read_id        INTEGER NOT NULL REFERENCES meter_reads(id),
    exception_id   INTEGER REFERENCES read_exceptions(id),
    old_reading    INTEGER NOT NULL,
    new_reading    INTEGER NOT NULL,
    old_read_on    TEXT NOT NULL,
    new_read_on    TEXT NOT NULL,
    old_kind       TEXT NOT NULL,
    new_kind       TEXT NOT NULL,
    old_meter_id   INTEGER NOT NULL,
    new_meter_id   INTEGER NOT NULL,
    reason         TEXT NOT NULL CHECK (reason <> ''),
    actor          TEXT NOT NULL CHECK (actor <> ''),
    at             TEXT NOT NULL
) STRICT;
CREATE INDEX read_edits_read ON read_edits(read_id, id);

CREATE TRIGGER read_edits_no_update BEFORE UPDATE ON read_edits
BEGIN
    SELECT RAISE(ABORT, 'read_edits is append-only');
END;

CREATE TRIGGER read_edits_no_delete BEFORE DELETE ON read_edits
BEGIN
    SELECT RAISE(ABORT, 'read_edits is append-only');
END;
