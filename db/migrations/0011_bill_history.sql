-- The billing run at district size (issue 5, speed).
--
-- Each bill carries what its print record needs from the reads: its meters' R records and its
-- premise's 13-period usage history (core/usage_history.py). The next month's draft extends
-- the history of the account's latest posted bill instead of reading 13 months of reads.
--
-- Bills priced alike share their lines: a run stores each distinct set of lines once
-- (bill_line_sets, bill_set_lines) and each bill points at its set. The view bill_lines shows
-- every bill's lines as before.

ALTER TABLE bills ADD COLUMN usage_history TEXT NOT NULL DEFAULT '';
ALTER TABLE bills ADD COLUMN meter_reads TEXT NOT NULL DEFAULT '';

-- An account's latest posted bill with a history, found by one index seek.
CREATE INDEX bills_posted_history ON bills(account_id, period_end, id)
    WHERE ledger_entry_id IS NOT NULL AND usage_history <> '';

CREATE TABLE bill_line_sets (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES billing_runs(id)
) STRICT;
CREATE INDEX bill_line_sets_run ON bill_line_sets(run_id);

CREATE TABLE bill_set_lines (
    set_id         INTEGER NOT NULL REFERENCES bill_line_sets(id) ON DELETE CASCADE,
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
    PRIMARY KEY (set_id, seq)
) WITHOUT ROWID, STRICT;

ALTER TABLE bills ADD COLUMN line_set_id INTEGER REFERENCES bill_line_sets(id);

-- The lines stored so far become one set per bill.
DROP TRIGGER bills_frozen_no_update;
INSERT INTO bill_line_sets (id, run_id)
    SELECT b.id, b.run_id FROM bills b WHERE EXISTS (SELECT 1 FROM bill_lines l
                                                      WHERE l.bill_id = b.id);
INSERT INTO bill_set_lines (set_id, seq, component, label, quantity, unit, rate, amount_cents,
                            explanation, rate_files, rate_sha256)
    SELECT bill_id, seq, component, label, quantity, unit, rate, amount_cents, explanation,
           rate_files, rate_sha256 FROM bill_lines;
UPDATE bills SET line_set_id = id WHERE id IN (SELECT id FROM bill_line_sets);
DROP TRIGGER bill_lines_frozen_no_update;
DROP TABLE bill_lines;

CREATE VIEW bill_lines AS
SELECT b.id AS bill_id, l.seq, l.component, l.label, l.quantity, l.unit, l.rate,
       l.amount_cents, l.explanation, l.rate_files, l.rate_sha256
  FROM bills b JOIN bill_set_lines l ON l.set_id = b.line_set_id;

CREATE TRIGGER bills_frozen_no_update BEFORE UPDATE ON bills
WHEN (SELECT status FROM billing_runs WHERE id = OLD.run_id) = 'frozen'
BEGIN
    SELECT RAISE(ABORT, 'the bills of a frozen run cannot change');
END;

-- A stored bill is never edited (issue 5: the preview is the real run). A redraft deletes the
-- run's bills and line sets and writes them anew; the freeze only points each billed bill at
-- its ledger entry, once. So the approval's fingerprint (db/billing_inputs.py) counts and sums
-- the bills and lines, and these triggers refuse every other change.
CREATE TRIGGER bills_never_edited BEFORE UPDATE ON bills
WHEN NEW.id IS NOT OLD.id OR NEW.run_id IS NOT OLD.run_id
  OR NEW.account_id IS NOT OLD.account_id OR NEW.outcome IS NOT OLD.outcome
  OR NEW.reason IS NOT OLD.reason OR NEW.rate_class IS NOT OLD.rate_class
  OR NEW.period_start IS NOT OLD.period_start OR NEW.period_end IS NOT OLD.period_end
  OR NEW.usage_hcf IS NOT OLD.usage_hcf OR NEW.estimated IS NOT OLD.estimated
  OR NEW.total_cents IS NOT OLD.total_cents OR NEW.usage_history IS NOT OLD.usage_history
  OR NEW.meter_reads IS NOT OLD.meter_reads OR NEW.line_set_id IS NOT OLD.line_set_id
  OR OLD.ledger_entry_id IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a stored bill is never edited: draft the run again');
END;

CREATE TRIGGER bill_set_lines_never_edited BEFORE UPDATE ON bill_set_lines
BEGIN
    SELECT RAISE(ABORT, 'a stored bill line is never edited: draft the run again');
END;

CREATE TRIGGER bill_line_sets_never_edited BEFORE UPDATE ON bill_line_sets
BEGIN
    SELECT RAISE(ABORT, 'a stored bill line is never edited: draft the run again');
END;

CREATE TRIGGER bill_line_sets_frozen_no_delete BEFORE DELETE ON bill_line_sets
WHEN (SELECT status FROM billing_runs WHERE id = OLD.run_id) = 'frozen'
BEGIN
    SELECT RAISE(ABORT, 'the bill lines of a frozen run cannot change');
END;

CREATE TRIGGER bill_set_lines_frozen_no_delete BEFORE DELETE ON bill_set_lines
WHEN (SELECT r.status FROM bill_line_sets s JOIN billing_runs r ON r.id = s.run_id
       WHERE s.id = OLD.set_id) = 'frozen'
BEGIN
    SELECT RAISE(ABORT, 'the bill lines of a frozen run cannot change');
END;

-- What a draft is computed from, changed or not, in a few lookups (db/billing_inputs.py,
-- inputs_mark): the highest rowid of each input table (a new row always takes the next rowid:
-- Meterline never writes a lower one) and a count of every edit and removal in them, kept by
-- the triggers below. Bills and ledger entries need no trigger: a bill is never edited but to
-- point it at its ledger entry, which adds a ledger entry, and the ledger is append-only.
-- A freeze whose mark is the draft's posts the stored bills; otherwise it prices the cycle
-- again and compares.
CREATE TABLE billing_input_changes (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   INTEGER NOT NULL
) STRICT;
INSERT INTO billing_input_changes (id, n) VALUES (1, 0);

ALTER TABLE billing_runs ADD COLUMN inputs_mark TEXT NOT NULL DEFAULT '';

CREATE TRIGGER accounts_update_counted AFTER UPDATE ON accounts
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER accounts_delete_counted AFTER DELETE ON accounts
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER premises_update_counted AFTER UPDATE ON premises
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER premises_delete_counted AFTER DELETE ON premises
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER routes_update_counted AFTER UPDATE ON routes
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER routes_delete_counted AFTER DELETE ON routes
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER cycles_update_counted AFTER UPDATE ON cycles
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER cycles_delete_counted AFTER DELETE ON cycles
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER meters_update_counted AFTER UPDATE ON meters
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER meters_delete_counted AFTER DELETE ON meters
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER meter_reads_update_counted AFTER UPDATE ON meter_reads
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER meter_reads_delete_counted AFTER DELETE ON meter_reads
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER read_exceptions_update_counted AFTER UPDATE ON read_exceptions
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER read_exceptions_delete_counted AFTER DELETE ON read_exceptions
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER settings_update_counted AFTER UPDATE ON settings
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER settings_delete_counted AFTER DELETE ON settings
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER schedule_dates_update_counted AFTER UPDATE ON schedule_dates
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;

CREATE TRIGGER schedule_dates_delete_counted AFTER DELETE ON schedule_dates
BEGIN
    UPDATE billing_input_changes SET n = n + 1;
END;
