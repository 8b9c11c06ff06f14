-- The freeze at district size (issue 5, speed): posting a run no longer rewrites its bills.
--
-- A bill's link to its ledger 'bill' entry moves to a narrow append-only table, bill_entries:
-- the freeze adds one short row per billed bill instead of updating every wide bill row (its
-- usage history and meter reads) through two triggers. The bills themselves move to
-- bill_rows, the same columns without ledger_entry_id, and the view bills shows them with
-- their entry as before, so every reader is unchanged. SQLite cannot turn a table into a
-- view: bill_rows is created, the rows and links are copied (the ids are kept), and bills is
-- dropped and made a view.

CREATE TABLE bill_rows (
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
    usage_history    TEXT NOT NULL DEFAULT '',
    meter_reads      TEXT NOT NULL DEFAULT '',
    line_set_id      INTEGER REFERENCES bill_line_sets(id),
    CHECK (outcome = 'billed' OR reason <> ''),
    UNIQUE (run_id, account_id)
) STRICT;
INSERT INTO bill_rows (id, run_id, account_id, outcome, reason, rate_class, period_start,
                       period_end, usage_hcf, estimated, total_cents, usage_history,
                       meter_reads, line_set_id)
    SELECT id, run_id, account_id, outcome, reason, rate_class, period_start, period_end,
           usage_hcf, estimated, total_cents, usage_history, meter_reads, line_set_id
      FROM bills ORDER BY id;

-- Each posted bill and its ledger entry, once: written by the freeze, never changed.
CREATE TABLE bill_entries (
    bill_id   INTEGER PRIMARY KEY REFERENCES bill_rows(id),
    entry_id  INTEGER NOT NULL UNIQUE REFERENCES ledger_entries(id)
) STRICT;
INSERT INTO bill_entries (bill_id, entry_id)
    SELECT id, ledger_entry_id FROM bills WHERE ledger_entry_id IS NOT NULL ORDER BY id;

DROP VIEW bill_lines;
DROP TABLE bills;

CREATE INDEX bill_rows_account ON bill_rows(account_id, run_id);
-- An account's latest bill with a history, found by one index seek; whether it was posted is
-- one lookup in bill_entries (db/billing_draft.py PREVIOUS_SQL).
CREATE INDEX bill_rows_history ON bill_rows(account_id, period_end, id)
    WHERE usage_history <> '';

-- Statistics for the new tables, as the demo's ANALYZE gives the old one: without them the
-- planner reads a LEFT JOIN of the view bills (db/billing_run.py RECONCILE_SQL) by scanning
-- the run's bills once per account instead of through an automatic index.
ANALYZE bill_rows;
ANALYZE bill_entries;

CREATE VIEW bills AS
SELECT b.id, b.run_id, b.account_id, b.outcome, b.reason, b.rate_class, b.period_start,
       b.period_end, b.usage_hcf, b.estimated, b.total_cents, e.entry_id AS ledger_entry_id,
       b.usage_history, b.meter_reads, b.line_set_id
  FROM bill_rows b LEFT JOIN bill_entries e ON e.bill_id = b.id;

CREATE VIEW bill_lines AS
SELECT b.id AS bill_id, l.seq, l.component, l.label, l.quantity, l.unit, l.rate,
       l.amount_cents, l.explanation, l.rate_files, l.rate_sha256
  FROM bill_rows b JOIN bill_set_lines l ON l.set_id = b.line_set_id;

CREATE TRIGGER bill_rows_frozen_no_update BEFORE UPDATE ON bill_rows
WHEN (SELECT status FROM billing_runs WHERE id = OLD.run_id) = 'frozen'
BEGIN
    SELECT RAISE(ABORT, 'the bills of a frozen run cannot change');
END;

CREATE TRIGGER bill_rows_frozen_no_delete BEFORE DELETE ON bill_rows
WHEN (SELECT status FROM billing_runs WHERE id = OLD.run_id) = 'frozen'
BEGIN
    SELECT RAISE(ABORT, 'the bills of a frozen run cannot change');
END;

-- A stored bill is never edited (issue 5: the preview is the real run). A redraft deletes the
-- run's bills and line sets and writes them anew; the freeze adds each billed bill's link to
-- bill_entries. So the approval's fingerprint (db/billing_inputs.py) counts and sums the bills
-- and lines, and these triggers refuse every other change.
CREATE TRIGGER bill_rows_never_edited BEFORE UPDATE ON bill_rows
BEGIN
    SELECT RAISE(ABORT, 'a stored bill is never edited: draft the run again');
END;

CREATE TRIGGER bill_entries_no_update BEFORE UPDATE ON bill_entries
BEGIN
    SELECT RAISE(ABORT, 'bill_entries is append-only');
END;

CREATE TRIGGER bill_entries_no_delete BEFORE DELETE ON bill_entries
BEGIN
    SELECT RAISE(ABORT, 'bill_entries is append-only');
END;

-- Bulk posting of a run's bills (db/billing_post.py): the per-entry totals trigger skips the
-- entries inside a declared range, and the poster adds their totals to account_balances and
-- ledger_control set-based, in the same transaction. This cannot let another posting skip the
-- trigger: a range may only cover ids that do not exist yet (the trigger below), the poster
-- inserts exactly those ids, and it deletes the range before its transaction commits, so no
-- other writer (SQLite has one at a time) ever sees a range. `meterline ledger check` still
-- proves every balance and control total against the entries, and reports a range left behind.
CREATE TABLE ledger_bulk_postings (
    first_id  INTEGER NOT NULL,
    last_id   INTEGER NOT NULL,
    CHECK (first_id <= last_id)
) STRICT;

CREATE TRIGGER ledger_bulk_postings_new_ids_only BEFORE INSERT ON ledger_bulk_postings
WHEN NEW.first_id <= (SELECT COALESCE(MAX(id), 0) FROM ledger_entries)
BEGIN
    SELECT RAISE(ABORT, 'a bulk posting range covers only entries not yet posted');
END;

DROP TRIGGER ledger_entries_totals;
CREATE TRIGGER ledger_entries_totals AFTER INSERT ON ledger_entries
WHEN NOT EXISTS (SELECT 1 FROM ledger_bulk_postings
                  WHERE NEW.id BETWEEN first_id AND last_id)
BEGIN
    INSERT INTO account_balances (account_id, balance_cents, deposit_cents)
    VALUES (NEW.account_id,
            CASE WHEN NEW.book = 'receivable' THEN NEW.amount_cents ELSE 0 END,
            CASE WHEN NEW.book = 'deposit' THEN NEW.amount_cents ELSE 0 END)
    ON CONFLICT (account_id) DO UPDATE SET
        balance_cents = balance_cents + excluded.balance_cents,
        deposit_cents = deposit_cents + excluded.deposit_cents;
    INSERT INTO ledger_control (entry_type, book, total_cents, entry_count)
    VALUES (NEW.entry_type, NEW.book, NEW.amount_cents, 1)
    ON CONFLICT (entry_type, book) DO UPDATE SET
        total_cents = total_cents + excluded.total_cents,
        entry_count = entry_count + 1;
END;
