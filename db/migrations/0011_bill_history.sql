-- Each bill carries what its print record needs from the reads (issue 5, speed): its meters'
-- R records and its premise's 13-period usage history (core/usage_history.py). The next
-- month's draft extends the history of the account's latest posted bill instead of reading
-- 13 months of reads again; the print file writes both as stored.

ALTER TABLE bills ADD COLUMN usage_history TEXT NOT NULL DEFAULT '';
ALTER TABLE bills ADD COLUMN meter_reads TEXT NOT NULL DEFAULT '';

-- The premises a draft priced from the full read history (no posted bill to extend, or no
-- start read in the period's window), as a JSON array: the freeze hashes their reads again.
ALTER TABLE billing_runs ADD COLUMN history_premises TEXT NOT NULL DEFAULT '[]';

-- An account's latest posted bill with a history, found by one index seek.
CREATE INDEX bills_posted_history ON bills(account_id, period_end, id)
    WHERE ledger_entry_id IS NOT NULL AND usage_history <> '';

-- A stored bill is never edited (issue 5: the preview is the real run). A redraft deletes the
-- run's bills and writes them anew; the freeze only points each billed bill at its ledger
-- entry, once. So the approval's fingerprint (db/billing_inputs.py) need not hash every bill
-- and line again: it counts and sums them, and these triggers refuse every other change.
CREATE TRIGGER bills_never_edited BEFORE UPDATE ON bills
WHEN NEW.id IS NOT OLD.id OR NEW.run_id IS NOT OLD.run_id
  OR NEW.account_id IS NOT OLD.account_id OR NEW.outcome IS NOT OLD.outcome
  OR NEW.reason IS NOT OLD.reason OR NEW.rate_class IS NOT OLD.rate_class
  OR NEW.period_start IS NOT OLD.period_start OR NEW.period_end IS NOT OLD.period_end
  OR NEW.usage_hcf IS NOT OLD.usage_hcf OR NEW.estimated IS NOT OLD.estimated
  OR NEW.total_cents IS NOT OLD.total_cents OR NEW.usage_history IS NOT OLD.usage_history
  OR NEW.meter_reads IS NOT OLD.meter_reads OR OLD.ledger_entry_id IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a stored bill is never edited: draft the run again');
END;

CREATE TRIGGER bill_lines_never_edited BEFORE UPDATE ON bill_lines
BEGIN
    SELECT RAISE(ABORT, 'a stored bill line is never edited: draft the run again');
END;
