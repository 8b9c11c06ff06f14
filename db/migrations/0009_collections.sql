-- After lock-off (issue 8 item 5; core/collections.py): the final notices sent, the accounts
-- referred to the collection agency, and write-off batches a supervisor approves (RULES.md §6).

-- One final notice per lock-off (shutoff), so running a date again sends nothing twice.
-- Append-only: a notice once logged was sent.
CREATE TABLE final_notices (
    id             INTEGER PRIMARY KEY,
    shutoff_id     INTEGER NOT NULL UNIQUE REFERENCES shutoff_log(id),
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    on_date        TEXT NOT NULL,
    balance_cents  INTEGER NOT NULL,
    reason         TEXT NOT NULL CHECK (reason <> ''),
    file_name      TEXT NOT NULL DEFAULT '',
    logged_by      TEXT NOT NULL CHECK (logged_by <> ''),
    logged_at      TEXT NOT NULL
) STRICT;

CREATE TRIGGER final_notices_no_update BEFORE UPDATE ON final_notices
BEGIN
    SELECT RAISE(ABORT, 'final_notices is append-only');
END;
CREATE TRIGGER final_notices_no_delete BEFORE DELETE ON final_notices
BEGIN
    SELECT RAISE(ABORT, 'final_notices is append-only');
END;

-- One referral to the collection agency per lock-off, with the file it went out in.
CREATE TABLE agency_referrals (
    id             INTEGER PRIMARY KEY,
    shutoff_id     INTEGER NOT NULL UNIQUE REFERENCES shutoff_log(id),
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    referred_on    TEXT NOT NULL,
    balance_cents  INTEGER NOT NULL,
    reason         TEXT NOT NULL CHECK (reason <> ''),
    file_name      TEXT NOT NULL DEFAULT '',
    referred_by    TEXT NOT NULL CHECK (referred_by <> ''),
    referred_at    TEXT NOT NULL
) STRICT;

CREATE TRIGGER agency_referrals_no_update BEFORE UPDATE ON agency_referrals
BEGIN
    SELECT RAISE(ABORT, 'agency_referrals is append-only');
END;
CREATE TRIGGER agency_referrals_no_delete BEFORE DELETE ON agency_referrals
BEGIN
    SELECT RAISE(ABORT, 'agency_referrals is append-only');
END;

-- A write-off batch: proposed by a clerk, approved once by a supervisor; then it never changes.
CREATE TABLE write_off_batches (
    id             INTEGER PRIMARY KEY,
    made_on        TEXT NOT NULL,
    made_by        TEXT NOT NULL CHECK (made_by <> ''),
    made_at        TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved')),
    approved_by    TEXT,
    approved_at    TEXT,
    approved_on    TEXT,
    CHECK ((status = 'approved') = (approved_by IS NOT NULL AND approved_at IS NOT NULL
                                    AND approved_on IS NOT NULL))
) STRICT;

CREATE TRIGGER write_off_batches_approved_once BEFORE UPDATE ON write_off_batches
WHEN OLD.status <> 'proposed'
BEGIN
    SELECT RAISE(ABORT, 'an approved write-off batch never changes');
END;
CREATE TRIGGER write_off_batches_no_delete BEFORE DELETE ON write_off_batches
BEGIN
    SELECT RAISE(ABORT, 'write_off_batches is append-only');
END;

-- The accounts of a batch, each lock-off in at most one batch. Append-only.
CREATE TABLE write_off_items (
    id             INTEGER PRIMARY KEY,
    batch_id       INTEGER NOT NULL REFERENCES write_off_batches(id),
    shutoff_id     INTEGER NOT NULL UNIQUE REFERENCES shutoff_log(id),
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    balance_cents  INTEGER NOT NULL CHECK (balance_cents > 0),
    reason         TEXT NOT NULL CHECK (reason <> '')
) STRICT;
CREATE INDEX write_off_items_batch ON write_off_items(batch_id);

CREATE TRIGGER write_off_items_no_update BEFORE UPDATE ON write_off_items
BEGIN
    SELECT RAISE(ABORT, 'write_off_items is append-only');
END;
CREATE TRIGGER write_off_items_no_delete BEFORE DELETE ON write_off_items
BEGIN
    SELECT RAISE(ABORT, 'write_off_items is append-only');
END;
