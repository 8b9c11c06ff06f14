-- Billing runs (issue 5): a cycle-month's draft, its approval and its freeze into the ledger.
-- A run's bills can be recomputed while it is a draft; once frozen, a run and its bills are
-- fixed (triggers refuse changes) and each billed account points at its ledger 'bill' entry.

CREATE TABLE billing_runs (
    id              INTEGER PRIMARY KEY,
    cycle_id        INTEGER NOT NULL REFERENCES cycles(id),
    month           TEXT NOT NULL,                 -- YYYY-MM, the cycle-month billed
    status          TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'frozen')),
    bill_date       TEXT NOT NULL,
    due_date        TEXT NOT NULL,
    rate_folder     TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,                 -- SHA-256 of every bill and line of the draft
    billed_count    INTEGER NOT NULL DEFAULT 0,
    held_count      INTEGER NOT NULL DEFAULT 0,
    excluded_count  INTEGER NOT NULL DEFAULT 0,
    total_cents     INTEGER NOT NULL DEFAULT 0,
    drafted_by      TEXT NOT NULL,
    drafted_at      TEXT NOT NULL,
    approved_by     TEXT,
    approved_at     TEXT,
    approved_fingerprint TEXT,
    frozen_by       TEXT,
    frozen_at       TEXT,
    UNIQUE (cycle_id, month)
) STRICT;

CREATE TABLE bills (
    id               INTEGER PRIMARY KEY,
    run_id           INTEGER NOT NULL REFERENCES billing_runs(id),
    account_id       INTEGER NOT NULL REFERENCES accounts(id),
    outcome          TEXT NOT NULL CHECK (outcome IN ('billed', 'held', 'excluded')),
    reason           TEXT NOT NULL DEFAULT '',     -- why held or excluded
    rate_class       TEXT NOT NULL DEFAULT '',
    period_start     TEXT,
    period_end       TEXT,
    usage_hcf        TEXT NOT NULL DEFAULT '0',    -- exact decimal
    estimated        INTEGER NOT NULL DEFAULT 0 CHECK (estimated IN (0, 1)),
    total_cents      INTEGER NOT NULL DEFAULT 0,
    ledger_entry_id  INTEGER UNIQUE REFERENCES ledger_entries(id),
    CHECK (outcome = 'billed' OR reason <> ''),
    UNIQUE (run_id, account_id)
) STRICT;
CREATE INDEX bills_account ON bills(account_id, run_id);

CREATE TABLE bill_lines (
    id             INTEGER PRIMARY KEY,
    bill_id        INTEGER NOT NULL REFERENCES bills(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    component      TEXT NOT NULL,
    label          TEXT NOT NULL,
    quantity       TEXT NOT NULL,                  -- exact: "12" or "37/3"
    unit           TEXT NOT NULL,
    rate           TEXT NOT NULL,                  -- dollars, as written in the rate file
    amount_cents   INTEGER NOT NULL,
    explanation    TEXT NOT NULL,
    rate_files     TEXT NOT NULL,                  -- versions: file@effective#sha256[:12], ...
    rate_sha256    TEXT NOT NULL,                  -- full SHA-256 of the file(s), comma-separated
    UNIQUE (bill_id, seq)
) STRICT;

-- A frozen run is the record of what was billed: nothing about it changes again.
CREATE TRIGGER billing_runs_frozen_fixed BEFORE UPDATE ON billing_runs
WHEN OLD.status = 'frozen'
BEGIN
    SELECT RAISE(ABORT, 'a frozen billing run cannot change: cancel and rebill one account');
END;

CREATE TRIGGER billing_runs_no_delete BEFORE DELETE ON billing_runs
BEGIN
    SELECT RAISE(ABORT, 'billing runs are kept: redraft instead');
END;

CREATE TRIGGER bills_frozen_no_update BEFORE UPDATE ON bills
WHEN (SELECT status FROM billing_runs WHERE id = OLD.run_id) = 'frozen'
BEGIN
    SELECT RAISE(ABORT, 'the bills of a frozen run cannot change');
END;

CREATE TRIGGER bills_frozen_no_delete BEFORE DELETE ON bills
WHEN (SELECT status FROM billing_runs WHERE id = OLD.run_id) = 'frozen'
BEGIN
    SELECT RAISE(ABORT, 'the bills of a frozen run cannot change');
END;

CREATE TRIGGER bill_lines_frozen_no_update BEFORE UPDATE ON bill_lines
WHEN (SELECT r.status FROM bills b JOIN billing_runs r ON r.id = b.run_id
       WHERE b.id = OLD.bill_id) = 'frozen'
BEGIN
    SELECT RAISE(ABORT, 'the bill lines of a frozen run cannot change');
END;
