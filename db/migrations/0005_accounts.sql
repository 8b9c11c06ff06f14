-- Accounts (issue 6): the search index, address history, Red Flag alerts and identity
-- verifications, miscellaneous invoices, closing bills with their lines, the refund register,
-- and who last changed an account (for "changed by NAME at TIME — reload").

-- Who saved the account last; with accounts.version, a stale save is refused by name.
ALTER TABLE accounts ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';

CREATE INDEX customers_tax_id ON customers(tax_id_hash) WHERE tax_id_hash <> '';

-- Search as you type: one FTS5 row per account (rowid = accounts.id), kept in step with
-- accounts, customers, premises and meters by the triggers below. Words are folded
-- (lower case, accents removed: "Nunez" finds "Núñez"); prefix indexes make each keystroke's
-- prefix query cheap. Columns in the order a match counts (core/account_search.py FIELDS).
CREATE VIRTUAL TABLE account_search USING fts5(
    name, service, number, meter, phone, mailing,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3 4'
);

CREATE VIEW account_search_source AS
SELECT a.id AS account_id, a.customer_id, a.premise_id,
       -- "OBrien" and "DAngelo" find O'Brien and D'Angelo as well as "brien" and "angelo".
       c.name || CASE WHEN instr(c.name, '''') > 0 THEN ' ' || replace(c.name, '''', '')
                      ELSE '' END AS name,
       trim(p.line1 || ' ' || p.line2 || ' ' || p.city || ' ' || p.zip) AS service,
       a.number || ' ' || replace(a.number, '-', '') AS number,
       COALESCE((SELECT group_concat(m.serial || ' ' || replace(m.serial, '-', ''), ' ')
                   FROM meters m WHERE m.premise_id = a.premise_id), '') AS meter,
       CASE WHEN c.phone = '' THEN '' ELSE c.phone || ' ' ||
            replace(replace(replace(replace(replace(replace(c.phone, '(', ''), ')', ''), '-', ''),
                    ' ', ''), '.', ''), '+', '') END AS phone,
       trim(a.mail_line1 || ' ' || a.mail_line2 || ' ' || a.mail_city || ' ' || a.mail_zip)
         AS mailing
  FROM accounts a
  JOIN customers c ON c.id = a.customer_id
  JOIN premises p ON p.id = a.premise_id;

INSERT INTO account_search (rowid, name, service, number, meter, phone, mailing)
SELECT account_id, name, service, number, meter, phone, mailing FROM account_search_source;

CREATE TRIGGER account_search_account_insert AFTER INSERT ON accounts
BEGIN
    INSERT INTO account_search (rowid, name, service, number, meter, phone, mailing)
    SELECT account_id, name, service, number, meter, phone, mailing
      FROM account_search_source WHERE account_id = NEW.id;
END;

CREATE TRIGGER account_search_account_update AFTER UPDATE OF number, customer_id, premise_id,
    mail_line1, mail_line2, mail_city, mail_state, mail_zip ON accounts
BEGIN
    DELETE FROM account_search WHERE rowid = OLD.id;
    INSERT INTO account_search (rowid, name, service, number, meter, phone, mailing)
    SELECT account_id, name, service, number, meter, phone, mailing
      FROM account_search_source WHERE account_id = NEW.id;
END;

CREATE TRIGGER account_search_account_delete AFTER DELETE ON accounts
BEGIN
    DELETE FROM account_search WHERE rowid = OLD.id;
END;

CREATE TRIGGER account_search_customer_update AFTER UPDATE OF name, phone ON customers
BEGIN
    DELETE FROM account_search
     WHERE rowid IN (SELECT id FROM accounts WHERE customer_id = NEW.id);
    INSERT INTO account_search (rowid, name, service, number, meter, phone, mailing)
    SELECT account_id, name, service, number, meter, phone, mailing
      FROM account_search_source WHERE customer_id = NEW.id;
END;

CREATE TRIGGER account_search_premise_update AFTER UPDATE OF line1, line2, city, state, zip
    ON premises
BEGIN
    DELETE FROM account_search
     WHERE rowid IN (SELECT id FROM accounts WHERE premise_id = NEW.id);
    INSERT INTO account_search (rowid, name, service, number, meter, phone, mailing)
    SELECT account_id, name, service, number, meter, phone, mailing
      FROM account_search_source WHERE premise_id = NEW.id;
END;

CREATE TRIGGER account_search_meter_insert AFTER INSERT ON meters
WHEN NEW.premise_id IS NOT NULL
BEGIN
    DELETE FROM account_search
     WHERE rowid IN (SELECT id FROM accounts WHERE premise_id = NEW.premise_id);
    INSERT INTO account_search (rowid, name, service, number, meter, phone, mailing)
    SELECT account_id, name, service, number, meter, phone, mailing
      FROM account_search_source WHERE premise_id = NEW.premise_id;
END;

CREATE TRIGGER account_search_meter_update AFTER UPDATE OF serial, premise_id ON meters
BEGIN
    DELETE FROM account_search
     WHERE rowid IN (SELECT id FROM accounts
                      WHERE premise_id IN (OLD.premise_id, NEW.premise_id));
    INSERT INTO account_search (rowid, name, service, number, meter, phone, mailing)
    SELECT account_id, name, service, number, meter, phone, mailing
      FROM account_search_source WHERE premise_id IN (OLD.premise_id, NEW.premise_id);
END;

-- Every address change: before, after, what the clerk typed and how it was standardized
-- (FORMATS.md §7). Mailing changes feed the Red Flag name-change check (RULES.md §11 #19).
CREATE TABLE address_history (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts(id),
    premise_id       INTEGER REFERENCES premises(id),   -- set for a service-address change
    kind             TEXT NOT NULL CHECK (kind IN ('mailing', 'service')),
    old_line1        TEXT NOT NULL,
    old_line2        TEXT NOT NULL,
    old_city         TEXT NOT NULL,
    old_state        TEXT NOT NULL,
    old_zip          TEXT NOT NULL,
    new_line1        TEXT NOT NULL CHECK (new_line1 <> ''),
    new_line2        TEXT NOT NULL,
    new_city         TEXT NOT NULL CHECK (new_city <> ''),
    new_state        TEXT NOT NULL,
    new_zip          TEXT NOT NULL,
    typed            TEXT NOT NULL,                     -- what the clerk typed, one line
    standardized_by  TEXT NOT NULL CHECK (standardized_by IN ('usps', 'box', 'as_typed')),
    reason           TEXT NOT NULL CHECK (reason <> ''),
    changed_by       TEXT NOT NULL CHECK (changed_by <> ''),
    changed_on       TEXT NOT NULL,                     -- the business date
    changed_at       TEXT NOT NULL
) STRICT;
CREATE INDEX address_history_account ON address_history(account_id, kind, changed_on);

CREATE TRIGGER address_history_no_update BEFORE UPDATE ON address_history
BEGIN
    SELECT RAISE(ABORT, 'address_history is append-only');
END;

CREATE TRIGGER address_history_no_delete BEFORE DELETE ON address_history
BEGIN
    SELECT RAISE(ABORT, 'address_history is append-only');
END;

-- How identity was checked at an opening or a name change, and the Red Flag alerts it
-- answered (16 CFR 681; RULES.md §11). A refused request is logged with no account.
CREATE TABLE identity_verifications (
    id              INTEGER PRIMARY KEY,
    occasion        TEXT NOT NULL CHECK (occasion IN ('move_in', 'name_change')),
    account_id      INTEGER REFERENCES accounts(id),
    customer_id     INTEGER REFERENCES customers(id),
    applicant_name  TEXT NOT NULL CHECK (applicant_name <> ''),
    document        TEXT NOT NULL CHECK (document IN ('driver_license', 'state_id', 'passport',
                      'other_document', 'none')),
    verification    TEXT CHECK (verification IS NULL OR verification IN ('photo_id',
                      'second_document', 'callback', 'known_customer', 'refused')),
    outcome         TEXT NOT NULL CHECK (outcome IN ('no_alerts', 'verified', 'refused')),
    note            TEXT NOT NULL DEFAULT '',
    verified_by     TEXT NOT NULL CHECK (verified_by <> ''),
    verified_on     TEXT NOT NULL,
    verified_at     TEXT NOT NULL
) STRICT;
CREATE INDEX identity_verifications_account ON identity_verifications(account_id, id);

CREATE TABLE red_flag_alerts (
    id               INTEGER PRIMARY KEY,
    verification_id  INTEGER NOT NULL REFERENCES identity_verifications(id),
    account_id       INTEGER REFERENCES accounts(id),
    check_code       TEXT NOT NULL CHECK (check_code IN ('duplicate_tax_id', 'shared_phone',
                       'box_on_residential', 'address_then_name', 'mismatched_id',
                       'mail_elsewhere_weak_id')),
    message          TEXT NOT NULL CHECK (message <> ''),
    raised_by        TEXT NOT NULL CHECK (raised_by <> ''),
    raised_at        TEXT NOT NULL
) STRICT;
CREATE INDEX red_flag_alerts_account ON red_flag_alerts(account_id, id);
CREATE INDEX red_flag_alerts_verification ON red_flag_alerts(verification_id);

CREATE TRIGGER identity_verifications_no_update BEFORE UPDATE ON identity_verifications
BEGIN
    SELECT RAISE(ABORT, 'identity_verifications is append-only');
END;

CREATE TRIGGER identity_verifications_no_delete BEFORE DELETE ON identity_verifications
BEGIN
    SELECT RAISE(ABORT, 'identity_verifications is append-only');
END;

CREATE TRIGGER red_flag_alerts_no_update BEFORE UPDATE ON red_flag_alerts
BEGIN
    SELECT RAISE(ABORT, 'red_flag_alerts is append-only');
END;

CREATE TRIGGER red_flag_alerts_no_delete BEFORE DELETE ON red_flag_alerts
BEGIN
    SELECT RAISE(ABORT, 'red_flag_alerts is append-only');
END;

-- New-service charges (installation, materials, labor) billed as miscellaneous invoices; each
-- is one ledger 'fee' entry. Corrections are ledger reversals, never edits.
CREATE TABLE misc_invoices (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts(id),
    charge           TEXT NOT NULL CHECK (charge IN ('installation', 'materials', 'labor',
                       'other')),
    description      TEXT NOT NULL CHECK (description <> ''),
    amount_cents     INTEGER NOT NULL CHECK (amount_cents > 0),
    invoiced_on      TEXT NOT NULL,
    due_on           TEXT NOT NULL,
    ledger_entry_id  INTEGER NOT NULL UNIQUE REFERENCES ledger_entries(id),
    created_by       TEXT NOT NULL CHECK (created_by <> ''),
    created_at       TEXT NOT NULL
) STRICT;
CREATE INDEX misc_invoices_account ON misc_invoices(account_id, id);

CREATE TRIGGER misc_invoices_no_update BEFORE UPDATE ON misc_invoices
BEGIN
    SELECT RAISE(ABORT, 'misc_invoices is append-only: reverse the ledger entry instead');
END;

CREATE TRIGGER misc_invoices_no_delete BEFORE DELETE ON misc_invoices
BEGIN
    SELECT RAISE(ABORT, 'misc_invoices is append-only: reverse the ledger entry instead');
END;

-- Closing bills priced by the rate engine at move-out, with every line and its explanation.
-- (Cycle bills are stored by the billing run; until it lands, only closing bills have lines.)
CREATE TABLE closing_bills (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts(id),
    period_start     TEXT NOT NULL,
    period_end       TEXT NOT NULL,
    days             INTEGER NOT NULL CHECK (days > 0),
    start_reading    INTEGER,
    final_reading    INTEGER NOT NULL,
    final_read_id    INTEGER REFERENCES meter_reads(id),
    usage_hcf        TEXT NOT NULL,
    rate_class       TEXT NOT NULL,
    total_cents      INTEGER NOT NULL CHECK (total_cents >= 0),
    ledger_entry_id  INTEGER UNIQUE REFERENCES ledger_entries(id),  -- NULL: nothing to bill
    rate_files       TEXT NOT NULL DEFAULT '[]',                    -- JSON
    created_by       TEXT NOT NULL CHECK (created_by <> ''),
    created_at       TEXT NOT NULL
) STRICT;
CREATE INDEX closing_bills_account ON closing_bills(account_id, id);

CREATE TABLE closing_bill_lines (
    bill_id       INTEGER NOT NULL REFERENCES closing_bills(id),
    seq           INTEGER NOT NULL,
    component     TEXT NOT NULL,
    label         TEXT NOT NULL,
    quantity      TEXT NOT NULL,
    unit          TEXT NOT NULL,
    rate          TEXT NOT NULL,
    factor        TEXT NOT NULL,
    amount_cents  INTEGER NOT NULL,
    explanation   TEXT NOT NULL CHECK (explanation <> ''),
    PRIMARY KEY (bill_id, seq)
) STRICT;

CREATE TRIGGER closing_bills_no_update BEFORE UPDATE ON closing_bills
BEGIN
    SELECT RAISE(ABORT, 'closing_bills is append-only');
END;

CREATE TRIGGER closing_bills_no_delete BEFORE DELETE ON closing_bills
BEGIN
    SELECT RAISE(ABORT, 'closing_bills is append-only');
END;

CREATE TRIGGER closing_bill_lines_no_update BEFORE UPDATE ON closing_bill_lines
BEGIN
    SELECT RAISE(ABORT, 'closing_bill_lines is append-only');
END;

CREATE TRIGGER closing_bill_lines_no_delete BEFORE DELETE ON closing_bill_lines
BEGIN
    SELECT RAISE(ABORT, 'closing_bill_lines is append-only');
END;

-- Credits owed back to customers, waiting for approval and an A/P check (RULES.md §7:
-- sweep → supervisor approval → A/P batch). Move-out adds rows here; the deposit/refund
-- register (issue 7) works them. The credit stays on the ledger until the refund is paid,
-- when the 'refund' entry that pays it is recorded in paid_entry_id.
CREATE TABLE refund_register (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    amount_cents    INTEGER NOT NULL CHECK (amount_cents > 0),
    source          TEXT NOT NULL CHECK (source <> ''),   -- 'move_out', …
    status          TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'approved', 'paid', 'cancelled')),
    payee_name      TEXT NOT NULL CHECK (payee_name <> ''),
    payee_line1     TEXT NOT NULL,
    payee_line2     TEXT NOT NULL DEFAULT '',
    payee_city      TEXT NOT NULL,
    payee_state     TEXT NOT NULL,
    payee_zip       TEXT NOT NULL,
    comment         TEXT NOT NULL DEFAULT '',
    requested_by    TEXT NOT NULL CHECK (requested_by <> ''),
    requested_on    TEXT NOT NULL,
    requested_at    TEXT NOT NULL,
    decided_by      TEXT,
    decided_at      TEXT,
    paid_entry_id   INTEGER UNIQUE REFERENCES ledger_entries(id),
    version         INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX refund_register_status ON refund_register(status, id);
CREATE INDEX refund_register_account ON refund_register(account_id, id);

CREATE TRIGGER refund_register_no_delete BEFORE DELETE ON refund_register
BEGIN
    SELECT RAISE(ABORT, 'refund_register keeps every request: cancel it instead');
END;

-- Notes are a record of what was said and done: added, never edited or removed.
CREATE TRIGGER notes_no_update BEFORE UPDATE ON notes
BEGIN
    SELECT RAISE(ABORT, 'notes are append-only: add a new note');
END;

CREATE TRIGGER notes_no_delete BEFORE DELETE ON notes
BEGIN
    SELECT RAISE(ABORT, 'notes are append-only: add a new note');
END;
