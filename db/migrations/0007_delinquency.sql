-- Delinquency and the lock-off list (RULES.md §1, §2, §3): the notice log, the dated records
-- the SB 998 gates need (plans, three-condition records), and every lock-off list made.

-- Every notice sent or posted, one row per account, kind and date (RULES.md §1.7(2)-(3), (7)).
-- Append-only: a notice once logged was sent. The UNIQUE key makes each step idempotent.
CREATE TABLE delinquency_notices (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    kind          TEXT NOT NULL CHECK (kind IN ('reminder', 'sb998', 'occupant', 'tenant',
                    'door_hanger', 'commercial', 'phone')),
    on_date       TEXT NOT NULL,                  -- mailed, posted or called
    outcome       TEXT NOT NULL DEFAULT 'sent' CHECK (outcome IN ('sent', 'failed', 'returned')),
    addressed_to  TEXT NOT NULL CHECK (addressed_to <> ''),
    past_due_cents INTEGER NOT NULL DEFAULT 0,
    file_name     TEXT NOT NULL DEFAULT '',       -- the print vendor file it went out in
    logged_by     TEXT NOT NULL CHECK (logged_by <> ''),
    logged_at     TEXT NOT NULL,
    UNIQUE (account_id, kind, on_date)
) STRICT;
CREATE INDEX delinquency_notices_on ON delinquency_notices(on_date, kind);

CREATE TRIGGER delinquency_notices_no_update BEFORE UPDATE ON delinquency_notices
BEGIN
    SELECT RAISE(ABORT, 'delinquency_notices is append-only');
END;
CREATE TRIGGER delinquency_notices_no_delete BEFORE DELETE ON delinquency_notices
BEGIN
    SELECT RAISE(ABORT, 'delinquency_notices is append-only');
END;

-- Payment arrangements (RULES.md §1.4, §116910(b): up to 12 months). An installment of
-- installment_cents is due each month from first_due_on; payments posted on or after
-- starts_on pay them in order. Default is derived (60 days after the oldest unpaid
-- installment, §116910(c)), never stored; ended_on closes a plan early (paid off, cancelled).
CREATE TABLE payment_plans (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts(id),
    kind               TEXT NOT NULL CHECK (kind IN ('amortization', 'deferred', 'reduced',
                         'alternative')),
    starts_on          TEXT NOT NULL,
    first_due_on       TEXT NOT NULL,
    months             INTEGER NOT NULL CHECK (months BETWEEN 1 AND 12),
    installment_cents  INTEGER NOT NULL CHECK (installment_cents > 0),
    total_cents        INTEGER NOT NULL CHECK (total_cents > 0),
    ended_on           TEXT,
    end_reason         TEXT CHECK (end_reason IS NULL OR end_reason <> ''),
    created_by         TEXT NOT NULL CHECK (created_by <> ''),
    created_at         TEXT NOT NULL,
    CHECK ((ended_on IS NULL) = (end_reason IS NULL))
) STRICT;
CREATE INDEX payment_plans_account ON payment_plans(account_id, starts_on);

-- The three conditions of §116910(a) (RULES.md §1.3), each a dated record with its evidence
-- and expiry: 'medical' (primary care provider certification), 'financial' (program
-- enrolment or income < 200% FPL), 'willing' (willing to enter a plan).
CREATE TABLE protection_records (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    condition     TEXT NOT NULL CHECK (condition IN ('medical', 'financial', 'willing')),
    evidence      TEXT NOT NULL CHECK (evidence <> ''),
    received_on   TEXT NOT NULL,
    expires_on    TEXT,
    recorded_by   TEXT NOT NULL CHECK (recorded_by <> ''),
    recorded_at   TEXT NOT NULL
) STRICT;
CREATE INDEX protection_records_account ON protection_records(account_id, condition);

-- A lock-off list as made for a date, and each candidate with every gate (RULES.md §1.7).
CREATE TABLE lockoff_lists (
    id            INTEGER PRIMARY KEY,
    lockoff_on    TEXT NOT NULL,
    made_by       TEXT NOT NULL CHECK (made_by <> ''),
    made_at       TEXT NOT NULL,
    candidates    INTEGER NOT NULL CHECK (candidates >= 0),
    eligible      INTEGER NOT NULL CHECK (eligible >= 0),
    printed_by    TEXT,
    printed_at    TEXT,
    printed_count INTEGER,
    CHECK ((printed_by IS NULL) = (printed_at IS NULL))
) STRICT;
CREATE INDEX lockoff_lists_on ON lockoff_lists(lockoff_on, id);

CREATE TABLE lockoff_list_entries (
    list_id         INTEGER NOT NULL REFERENCES lockoff_lists(id),
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    sort_key        TEXT NOT NULL,                  -- eligible first, then account number
    number          TEXT NOT NULL,
    name            TEXT NOT NULL,
    address         TEXT NOT NULL,
    service_class   TEXT NOT NULL,
    past_due_cents  INTEGER NOT NULL,
    days_past_due   INTEGER NOT NULL,
    eligible        INTEGER NOT NULL CHECK (eligible IN (0, 1)),
    blocked_by      TEXT NOT NULL,                  -- the failing gates' codes, or ''
    gates           TEXT NOT NULL,                  -- JSON: every gate with pass/fail and why
    PRIMARY KEY (list_id, account_id)
) STRICT;
CREATE INDEX lockoff_list_entries_page ON lockoff_list_entries(list_id, sort_key);

-- The low-income late-charge waiver, once every 12 months (RULES.md §1.6, SB 998 §116914(b)):
-- the date each account used it, so the next late-fee run knows. Append-only.
CREATE TABLE late_fee_waivers (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    waived_on     TEXT NOT NULL,
    reference     TEXT NOT NULL CHECK (reference <> ''),   -- the late-fee run it belongs to
    fee_cents     INTEGER NOT NULL CHECK (fee_cents > 0),
    recorded_by   TEXT NOT NULL CHECK (recorded_by <> ''),
    recorded_at   TEXT NOT NULL,
    UNIQUE (account_id, reference)
) STRICT;

CREATE TRIGGER late_fee_waivers_no_update BEFORE UPDATE ON late_fee_waivers
BEGIN
    SELECT RAISE(ABORT, 'late_fee_waivers is append-only');
END;
CREATE TRIGGER late_fee_waivers_no_delete BEFORE DELETE ON late_fee_waivers
BEGIN
    SELECT RAISE(ABORT, 'late_fee_waivers is append-only');
END;

-- Lock-off field orders made from a printed list (issue 8, item 4). Kept apart from
-- work_orders, whose order_type CHECK would have to be rebuilt to take a new type.
CREATE TABLE lockoff_orders (
    id             INTEGER PRIMARY KEY,
    list_id        INTEGER NOT NULL REFERENCES lockoff_lists(id),
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    lockoff_on     TEXT NOT NULL,
    service_class  TEXT NOT NULL CHECK (service_class IN ('residential', 'commercial')),
    status         TEXT NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'locked', 'not_locked', 'cancelled')),
    result_note    TEXT NOT NULL DEFAULT '',
    created_by     TEXT NOT NULL CHECK (created_by <> ''),
    created_at     TEXT NOT NULL,
    completed_on   TEXT,
    completed_by   TEXT,
    completed_at   TEXT,
    UNIQUE (list_id, account_id)
) STRICT;
CREATE INDEX lockoff_orders_account ON lockoff_orders(account_id, id);

-- Every executed lock-off for non-payment (RULES.md §1.6: the SB 998 annual count is a query
-- over this log). Append-only.
CREATE TABLE shutoff_log (
    id             INTEGER PRIMARY KEY,
    order_id       INTEGER NOT NULL UNIQUE REFERENCES lockoff_orders(id),
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    service_class  TEXT NOT NULL CHECK (service_class IN ('residential', 'commercial')),
    locked_on      TEXT NOT NULL,
    past_due_cents INTEGER NOT NULL,
    logged_by      TEXT NOT NULL CHECK (logged_by <> ''),
    logged_at      TEXT NOT NULL
) STRICT;
CREATE INDEX shutoff_log_on ON shutoff_log(locked_on, service_class);

CREATE TRIGGER shutoff_log_no_update BEFORE UPDATE ON shutoff_log
BEGIN
    SELECT RAISE(ABORT, 'shutoff_log is append-only');
END;
CREATE TRIGGER shutoff_log_no_delete BEFORE DELETE ON shutoff_log
BEGIN
    SELECT RAISE(ABORT, 'shutoff_log is append-only');
END;

-- Service restored after a lock-off, with the fee charged (RULES.md §3.3, low-income cap §1.6).
CREATE TABLE reconnections (
    id               INTEGER PRIMARY KEY,
    shutoff_id       INTEGER NOT NULL UNIQUE REFERENCES shutoff_log(id),
    account_id       INTEGER NOT NULL REFERENCES accounts(id),
    reconnected_on   TEXT NOT NULL,
    after_hours      INTEGER NOT NULL CHECK (after_hours IN (0, 1)),
    low_income       INTEGER NOT NULL CHECK (low_income IN (0, 1)),
    fee_cents        INTEGER NOT NULL CHECK (fee_cents >= 0),
    ledger_entry_id  INTEGER REFERENCES ledger_entries(id),
    recorded_by      TEXT NOT NULL CHECK (recorded_by <> ''),
    recorded_at      TEXT NOT NULL
) STRICT;

CREATE TRIGGER reconnections_no_update BEFORE UPDATE ON reconnections
BEGIN
    SELECT RAISE(ABORT, 'reconnections is append-only');
END;
CREATE TRIGGER reconnections_no_delete BEFORE DELETE ON reconnections
BEGIN
    SELECT RAISE(ABORT, 'reconnections is append-only');
END;
