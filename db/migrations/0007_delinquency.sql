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
