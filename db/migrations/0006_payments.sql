-- Money in and out (issue 7): payment batches (manual and lockbox files), the payments in them,
-- the suspense list of lockbox payments for unknown accounts, returned items, money requests
-- waiting for approval (adjustments, leak adjustments, back-bills), and the refund register's
-- A/P exports (the register itself is migration 0005's, extended here).

CREATE TABLE payment_batches (
    id                   INTEGER PRIMARY KEY,
    kind                 TEXT NOT NULL CHECK (kind IN ('manual', 'lockbox')),
    status               TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    control_total_cents  INTEGER NOT NULL CHECK (control_total_cents >= 0),
    deposit_date         TEXT NOT NULL,
    file_name            TEXT NOT NULL DEFAULT '',
    file_sha256          TEXT UNIQUE,                 -- a lockbox file (by content) posts once
    item_count           INTEGER NOT NULL DEFAULT 0,  -- lockbox: payments + suspense items
    opened_by            TEXT NOT NULL CHECK (opened_by <> ''),
    opened_at            TEXT NOT NULL,
    closed_by            TEXT,
    closed_at            TEXT,
    version              INTEGER NOT NULL DEFAULT 1,
    CHECK (kind = 'manual' OR file_sha256 IS NOT NULL)
) STRICT;
CREATE INDEX payment_batches_open ON payment_batches(status, opened_by, id);

CREATE TRIGGER payment_batches_no_delete BEFORE DELETE ON payment_batches
BEGIN
    SELECT RAISE(ABORT, 'payment_batches keeps every batch');
END;

CREATE TRIGGER payment_batches_closed_stays_closed BEFORE UPDATE ON payment_batches
WHEN OLD.status = 'closed'
BEGIN
    SELECT RAISE(ABORT, 'a closed batch cannot change');
END;

-- One row per payment posted: the ledger entry it made and what the paper said. A payment
-- keyed in error is voided by a ledger reversal; a returned one by a returned_payment entry.
CREATE TABLE payments (
    id               INTEGER PRIMARY KEY,
    batch_id         INTEGER NOT NULL REFERENCES payment_batches(id),
    ledger_entry_id  INTEGER NOT NULL UNIQUE REFERENCES ledger_entries(id),
    account_id       INTEGER NOT NULL REFERENCES accounts(id),
    amount_cents     INTEGER NOT NULL CHECK (amount_cents > 0),
    method           TEXT NOT NULL CHECK (method IN ('check', 'cash', 'money_order', 'card',
                       'ach', 'lockbox')),
    check_number     TEXT NOT NULL DEFAULT '',
    payer            TEXT NOT NULL DEFAULT '',        -- MICR routing/account, or acct:NUMBER
    channel          TEXT NOT NULL DEFAULT '',        -- lockbox file: LOCKBOX|WEB|IVR|RPPS|CSR
    source_line      INTEGER,                         -- lockbox file line
    received_on      TEXT NOT NULL,
    posted_by        TEXT NOT NULL CHECK (posted_by <> ''),
    posted_at        TEXT NOT NULL
) STRICT;
CREATE INDEX payments_batch ON payments(batch_id, id);
CREATE INDEX payments_account ON payments(account_id, id);
-- A duplicate check number in one batch is refused: the same check, from the same payer.
CREATE UNIQUE INDEX payments_one_check ON payments(batch_id, payer, check_number)
    WHERE check_number <> '';

CREATE TRIGGER payments_no_update BEFORE UPDATE ON payments
BEGIN
    SELECT RAISE(ABORT, 'payments is append-only: void by a ledger reversal');
END;

CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
BEGIN
    SELECT RAISE(ABORT, 'payments is append-only: void by a ledger reversal');
END;

-- Lockbox payments whose account Meterline does not know (or the bank flagged): held here,
-- never dropped, until a clerk posts each to the right account.
CREATE TABLE payment_suspense (
    id                 INTEGER PRIMARY KEY,
    batch_id           INTEGER NOT NULL REFERENCES payment_batches(id),
    source_line        INTEGER NOT NULL,
    account_text       TEXT NOT NULL,                 -- the account number as the file gave it
    amount_cents       INTEGER NOT NULL CHECK (amount_cents > 0),
    check_number       TEXT NOT NULL DEFAULT '',
    payer              TEXT NOT NULL DEFAULT '',
    payer_name         TEXT NOT NULL DEFAULT '',
    received_on        TEXT NOT NULL,
    reason             TEXT NOT NULL CHECK (reason <> ''),
    status             TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolved_payment_id INTEGER UNIQUE REFERENCES payments(id),
    resolved_by        TEXT,
    resolved_at        TEXT,
    version            INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX payment_suspense_status ON payment_suspense(status, id);

CREATE TRIGGER payment_suspense_no_delete BEFORE DELETE ON payment_suspense
BEGIN
    SELECT RAISE(ABORT, 'payment_suspense keeps every item: post it to an account');
END;

-- A returned check or ACH return: the payment, the entries the one action posted, and why.
CREATE TABLE returned_items (
    id                 INTEGER PRIMARY KEY,
    payment_entry_id   INTEGER NOT NULL UNIQUE REFERENCES ledger_entries(id),
    account_id         INTEGER NOT NULL REFERENCES accounts(id),
    reversal_entry_id  INTEGER NOT NULL UNIQUE REFERENCES ledger_entries(id),
    fee_entry_id       INTEGER UNIQUE REFERENCES ledger_entries(id),
    reason_code        TEXT NOT NULL CHECK (reason_code <> ''),
    returned_on        TEXT NOT NULL,
    cash_only_until    TEXT,
    returned_by        TEXT NOT NULL CHECK (returned_by <> ''),
    returned_at        TEXT NOT NULL
) STRICT;
CREATE INDEX returned_items_account ON returned_items(account_id, returned_on);

CREATE TRIGGER returned_items_no_update BEFORE UPDATE ON returned_items
BEGIN
    SELECT RAISE(ABORT, 'returned_items is append-only');
END;

CREATE TRIGGER returned_items_no_delete BEFORE DELETE ON returned_items
BEGIN
    SELECT RAISE(ABORT, 'returned_items is append-only');
END;

-- Adjustments, leak adjustments, back-bills and fast-meter refunds: posted at once when the
-- amount is within the clerk's role threshold, else pending until a supervisor decides.
CREATE TABLE adjustment_requests (
    id                INTEGER PRIMARY KEY,
    account_id        INTEGER NOT NULL REFERENCES accounts(id),
    kind              TEXT NOT NULL CHECK (kind IN ('amount', 'leak', 'backbill',
                        'meter_refund')),
    reason_code       TEXT NOT NULL CHECK (reason_code <> ''),
    amount_cents      INTEGER NOT NULL CHECK (amount_cents <> 0),   -- + charge, - credit
    effective_on      TEXT NOT NULL,
    period_start      TEXT,                                       -- re-rates: periods covered
    period_end        TEXT,
    method            TEXT NOT NULL DEFAULT '',                   -- re-rate estimate method
    comment           TEXT NOT NULL CHECK (comment <> ''),
    preview           TEXT NOT NULL DEFAULT '[]',                 -- JSON: the lines shown
    status            TEXT NOT NULL CHECK (status IN ('pending', 'posted', 'rejected')),
    requested_by      TEXT NOT NULL CHECK (requested_by <> ''),
    requested_at      TEXT NOT NULL,
    decided_by        TEXT,
    decided_at        TEXT,
    decision_comment  TEXT NOT NULL DEFAULT '',
    ledger_entry_id   INTEGER UNIQUE REFERENCES ledger_entries(id),
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK ((status = 'posted') = (ledger_entry_id IS NOT NULL))
) STRICT;
CREATE INDEX adjustment_requests_status ON adjustment_requests(status, id);
CREATE INDEX adjustment_requests_account ON adjustment_requests(account_id, kind, id);

CREATE TRIGGER adjustment_requests_no_delete BEFORE DELETE ON adjustment_requests
BEGIN
    SELECT RAISE(ABORT, 'adjustment_requests keeps every request: reject it instead');
END;

CREATE TRIGGER adjustment_requests_decided_stays BEFORE UPDATE ON adjustment_requests
WHEN OLD.status <> 'pending'
BEGIN
    SELECT RAISE(ABORT, 'a decided request cannot change: reverse the entry instead');
END;

-- The refund register (0005) pays from either book: a credit balance, or a held deposit.
ALTER TABLE refund_register ADD COLUMN book TEXT NOT NULL DEFAULT 'receivable'
    CHECK (book IN ('receivable', 'deposit'));
ALTER TABLE refund_register ADD COLUMN export_id INTEGER REFERENCES refund_exports(id);
ALTER TABLE refund_register ADD COLUMN decision_comment TEXT NOT NULL DEFAULT '';

-- Each CSV handed to accounts payable: its rows were paid (refund entries posted) with it.
CREATE TABLE refund_exports (
    id            INTEGER PRIMARY KEY,
    file_name     TEXT NOT NULL CHECK (file_name <> ''),
    file_sha256   TEXT NOT NULL,
    rows          INTEGER NOT NULL CHECK (rows > 0),
    total_cents   INTEGER NOT NULL CHECK (total_cents > 0),
    exported_by   TEXT NOT NULL CHECK (exported_by <> ''),
    exported_on   TEXT NOT NULL,
    exported_at   TEXT NOT NULL
) STRICT;

CREATE TRIGGER refund_exports_no_update BEFORE UPDATE ON refund_exports
BEGIN
    SELECT RAISE(ABORT, 'refund_exports is append-only');
END;

CREATE TRIGGER refund_exports_no_delete BEFORE DELETE ON refund_exports
BEGIN
    SELECT RAISE(ABORT, 'refund_exports is append-only');
END;
