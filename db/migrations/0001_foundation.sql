-- Meterline foundation schema. Money is INTEGER cents; dates are ISO 8601 TEXT.
-- The ledger and the audit log are append-only: triggers refuse UPDATE and DELETE.

PRAGMA application_id = 1297370190;  -- 0x4D544C4E, "MTLN": marks the file as Meterline's

CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,            -- JSON
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    login       TEXT PRIMARY KEY,         -- OS login name
    role        TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor', 'trainer', 'admin')),
    full_name   TEXT NOT NULL DEFAULT '',
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    added_by    TEXT NOT NULL,
    added_at    TEXT NOT NULL
) STRICT;

CREATE TABLE cycles (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    read_day    INTEGER NOT NULL CHECK (read_day BETWEEN 1 AND 28),
    description TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE routes (
    id          INTEGER PRIMARY KEY,
    cycle_id    INTEGER NOT NULL REFERENCES cycles(id),
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX routes_cycle ON routes(cycle_id);

CREATE TABLE customers (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    tax_id_hash   TEXT NOT NULL DEFAULT '',  -- salted hash of SSN/tax ID, for Red Flag duplicates
    tax_id_last4  TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX customers_name ON customers(name COLLATE NOCASE);
CREATE INDEX customers_phone ON customers(phone);

CREATE TABLE premises (
    id                 INTEGER PRIMARY KEY,
    line1              TEXT NOT NULL,
    line2              TEXT NOT NULL DEFAULT '',
    city               TEXT NOT NULL,
    state              TEXT NOT NULL DEFAULT 'CA',
    zip                TEXT NOT NULL DEFAULT '',
    service_class      TEXT NOT NULL CHECK (service_class IN ('residential', 'commercial')),
    kind               TEXT NOT NULL CHECK (kind IN
                         ('single_family', 'multi_unit', 'commercial', 'landscape', 'hydrant')),
    dwelling_units     INTEGER NOT NULL DEFAULT 1 CHECK (dwelling_units >= 0),
    owner_customer_id  INTEGER REFERENCES customers(id),   -- owner of record
    route_id           INTEGER REFERENCES routes(id),
    walk_order         INTEGER NOT NULL DEFAULT 0,
    landscape_sqft     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX premises_route_walk ON premises(route_id, walk_order);
CREATE INDEX premises_line1 ON premises(line1 COLLATE NOCASE);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    premise_id    INTEGER NOT NULL REFERENCES premises(id),
    status        TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'closed')),
    service_type  TEXT NOT NULL DEFAULT 'metered'
                    CHECK (service_type IN ('metered', 'water_budget', 'bulk', 'flat')),
    mail_line1    TEXT NOT NULL,
    mail_line2    TEXT NOT NULL DEFAULT '',
    mail_city     TEXT NOT NULL,
    mail_state    TEXT NOT NULL DEFAULT 'CA',
    mail_zip      TEXT NOT NULL DEFAULT '',
    opened_on     TEXT NOT NULL,
    closed_on     TEXT,
    version       INTEGER NOT NULL DEFAULT 1   -- bumped on every edit: a stale edit is refused
) STRICT;
CREATE INDEX accounts_customer ON accounts(customer_id);
CREATE INDEX accounts_premise ON accounts(premise_id);
CREATE INDEX accounts_status ON accounts(status, number);

CREATE TABLE account_flags (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    flag        TEXT NOT NULL CHECK (flag IN ('AUTOPAY', 'PAYMENT PLAN', 'MEDICAL CERT',
                  'CASH ONLY', 'DEPOSIT HELD', 'RED FLAG', 'APPEAL', 'RETURNED MAIL')),
    reason      TEXT NOT NULL CHECK (reason <> ''),
    author      TEXT NOT NULL CHECK (author <> ''),
    set_on      TEXT NOT NULL,
    expires_on  TEXT,
    cleared_on  TEXT,
    cleared_by  TEXT
) STRICT;
CREATE INDEX account_flags_account ON account_flags(account_id, flag);

CREATE TABLE meters (
    id            INTEGER PRIMARY KEY,
    serial        TEXT NOT NULL UNIQUE,
    size          TEXT NOT NULL CHECK (size IN ('5/8', '3/4', '1', '1.5', '2', '3', '4')),
    dials         INTEGER NOT NULL CHECK (dials BETWEEN 3 AND 9),
    premise_id    INTEGER REFERENCES premises(id),
    location      TEXT NOT NULL DEFAULT '',
    installed_on  TEXT NOT NULL,
    install_read  INTEGER NOT NULL DEFAULT 0,
    removed_on    TEXT,
    removal_read  INTEGER
) STRICT;
CREATE INDEX meters_premise ON meters(premise_id);

CREATE TABLE meter_reads (
    id          INTEGER PRIMARY KEY,
    meter_id    INTEGER NOT NULL REFERENCES meters(id),
    account_id  INTEGER REFERENCES accounts(id),
    read_on     TEXT NOT NULL,
    reading     INTEGER NOT NULL CHECK (reading >= 0),
    kind        TEXT NOT NULL CHECK (kind IN ('actual', 'estimated')),
    source      TEXT NOT NULL DEFAULT '',
    read_code   TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX meter_reads_meter ON meter_reads(meter_id, read_on);
CREATE INDEX meter_reads_account ON meter_reads(account_id, read_on);

CREATE TABLE ledger_entries (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    entry_type    TEXT NOT NULL CHECK (entry_type IN ('bill', 'payment', 'adjustment',
                    'late_fee', 'deposit', 'deposit_applied', 'refund', 'transfer',
                    'returned_payment', 'fee', 'write_off')),
    book          TEXT NOT NULL DEFAULT 'receivable' CHECK (book IN ('receivable', 'deposit')),
    amount_cents  INTEGER NOT NULL CHECK (amount_cents <> 0),
    effective_on  TEXT NOT NULL,
    due_on        TEXT,
    posted_at     TEXT NOT NULL,
    actor         TEXT NOT NULL CHECK (actor <> ''),
    reason_code   TEXT NOT NULL CHECK (reason_code <> ''),
    comment       TEXT NOT NULL CHECK (comment <> ''),
    reverses_id   INTEGER UNIQUE REFERENCES ledger_entries(id),
    reference     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX ledger_account ON ledger_entries(account_id, effective_on, id);

-- Derived totals kept by triggers in the same transaction as each entry; `meterline ledger
-- check` proves they equal the entries.
CREATE TABLE account_balances (
    account_id        INTEGER PRIMARY KEY REFERENCES accounts(id),
    balance_cents     INTEGER NOT NULL DEFAULT 0,
    deposit_cents     INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE ledger_control (
    entry_type    TEXT NOT NULL,
    book          TEXT NOT NULL,
    total_cents   INTEGER NOT NULL DEFAULT 0,
    entry_count   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (entry_type, book)
) STRICT;

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only: post a reversal instead');
END;

CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only: post a reversal instead');
END;

-- A reversal nets its original to zero, on the same account and book, and is not itself reversed.
CREATE TRIGGER ledger_entries_reversal_check BEFORE INSERT ON ledger_entries
WHEN NEW.reverses_id IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a reversal must point at an existing entry')
     WHERE NOT EXISTS (SELECT 1 FROM ledger_entries WHERE id = NEW.reverses_id);
    SELECT RAISE(ABORT, 'a reversal must net its original to zero on the same account and book')
     WHERE EXISTS (SELECT 1 FROM ledger_entries o WHERE o.id = NEW.reverses_id
                   AND (o.account_id <> NEW.account_id OR o.book <> NEW.book
                        OR o.amount_cents <> -NEW.amount_cents));
    SELECT RAISE(ABORT, 'a reversal cannot itself be reversed')
     WHERE EXISTS (SELECT 1 FROM ledger_entries o WHERE o.id = NEW.reverses_id
                   AND o.reverses_id IS NOT NULL);
END;

CREATE TRIGGER ledger_entries_totals AFTER INSERT ON ledger_entries
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

-- Only the ledger trigger may move these totals.
CREATE TRIGGER account_balances_no_delete BEFORE DELETE ON account_balances
BEGIN
    SELECT RAISE(ABORT, 'account_balances is derived from the ledger');
END;

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL CHECK (actor <> ''),
    action       TEXT NOT NULL CHECK (action <> ''),
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    before       TEXT,     -- JSON
    after        TEXT      -- JSON
) STRICT;
CREATE INDEX audit_log_object ON audit_log(object_type, object_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE notes (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    author      TEXT NOT NULL CHECK (author <> ''),
    at          TEXT NOT NULL,
    body        TEXT NOT NULL CHECK (body <> '')
) STRICT;
CREATE INDEX notes_account ON notes(account_id, id);
