-- A supervisor may reject a proposed write-off batch (RULES.md §6: write-offs route to a
-- supervisor, who may also say no). SQLite cannot alter a CHECK or drop a UNIQUE, so both
-- write-off tables are rebuilt (create new, copy, drop old, rename new; the ids are kept):
-- the batch gets a 'rejected' status with who, when and why; an item's lock-off may appear
-- again in a later batch once its earlier batch was rejected, and in one live batch at most.

CREATE TABLE write_off_batches_new (
    id             INTEGER PRIMARY KEY,
    made_on        TEXT NOT NULL,
    made_by        TEXT NOT NULL CHECK (made_by <> ''),
    made_at        TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'proposed'
                   CHECK (status IN ('proposed', 'approved', 'rejected')),
    approved_by    TEXT,
    approved_at    TEXT,
    approved_on    TEXT,
    rejected_by    TEXT,
    rejected_at    TEXT,
    rejected_reason TEXT,
    CHECK ((status = 'approved') = (approved_by IS NOT NULL AND approved_at IS NOT NULL
                                    AND approved_on IS NOT NULL)),
    CHECK ((status = 'rejected') = (rejected_by IS NOT NULL AND rejected_at IS NOT NULL
                                    AND trim(COALESCE(rejected_reason, '')) <> ''))
) STRICT;
INSERT INTO write_off_batches_new (id, made_on, made_by, made_at, status, approved_by,
                                   approved_at, approved_on)
    SELECT id, made_on, made_by, made_at, status, approved_by, approved_at, approved_on
      FROM write_off_batches;

CREATE TABLE write_off_items_new (
    id             INTEGER PRIMARY KEY,
    batch_id       INTEGER NOT NULL REFERENCES write_off_batches_new(id),
    shutoff_id     INTEGER NOT NULL REFERENCES shutoff_log(id),
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    balance_cents  INTEGER NOT NULL CHECK (balance_cents > 0),
    reason         TEXT NOT NULL CHECK (reason <> '')
) STRICT;
INSERT INTO write_off_items_new (id, batch_id, shutoff_id, account_id, balance_cents, reason)
    SELECT id, batch_id, shutoff_id, account_id, balance_cents, reason FROM write_off_items;

DROP TABLE write_off_items;
DROP TABLE write_off_batches;
-- Renaming also points write_off_items_new's REFERENCES at the new name.
ALTER TABLE write_off_batches_new RENAME TO write_off_batches;
ALTER TABLE write_off_items_new RENAME TO write_off_items;
CREATE INDEX write_off_items_batch ON write_off_items(batch_id);
CREATE INDEX write_off_items_shutoff ON write_off_items(shutoff_id);

-- Decided once: an approved or rejected batch never changes.
CREATE TRIGGER write_off_batches_decided_once BEFORE UPDATE ON write_off_batches
WHEN OLD.status <> 'proposed'
BEGIN
    SELECT RAISE(ABORT, 'an approved or rejected write-off batch never changes');
END;
CREATE TRIGGER write_off_batches_no_delete BEFORE DELETE ON write_off_batches
BEGIN
    SELECT RAISE(ABORT, 'write_off_batches is append-only');
END;

-- Each lock-off in at most one batch that is not rejected.
CREATE TRIGGER write_off_items_one_live_batch BEFORE INSERT ON write_off_items
WHEN EXISTS (SELECT 1 FROM write_off_items i JOIN write_off_batches b ON b.id = i.batch_id
              WHERE i.shutoff_id = NEW.shutoff_id AND b.status <> 'rejected')
BEGIN
    SELECT RAISE(ABORT, 'the lock-off is already in a write-off batch');
END;
CREATE TRIGGER write_off_items_no_update BEFORE UPDATE ON write_off_items
BEGIN
    SELECT RAISE(ABORT, 'write_off_items is append-only');
END;
CREATE TRIGGER write_off_items_no_delete BEFORE DELETE ON write_off_items
BEGIN
    SELECT RAISE(ABORT, 'write_off_items is append-only');
END;
