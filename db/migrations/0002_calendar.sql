-- Billing calendar: the district's closure list and the stored cycle schedules.

-- The district's adjustments to the holiday seed (RULES.md §10): days the office closes that
-- the `holidays` package lacks ('closed'), and package holidays the board does not observe
-- ('open'). Edited by supervisors; every change is in audit_log (object_type 'closure').
CREATE TABLE closures (
    on_date     TEXT PRIMARY KEY,          -- YYYY-MM-DD
    kind        TEXT NOT NULL CHECK (kind IN ('closed', 'open')),
    name        TEXT NOT NULL CHECK (name <> ''),
    reason      TEXT NOT NULL CHECK (reason <> ''),  -- resolution, MOU, emergency
    added_by    TEXT NOT NULL CHECK (added_by <> ''),
    added_at    TEXT NOT NULL
) STRICT;

-- The list used to live in settings as holidays_added / holidays_removed (ISO dates only);
-- it moves here, once, and those keys leave the settings table.
INSERT OR IGNORE INTO closures (on_date, kind, name, reason, added_by, added_at)
SELECT j.value, 'closed', 'District closure', 'moved from setting holidays_added',
       s.updated_by, s.updated_at
  FROM settings s, json_each(s.value) j
 WHERE s.key = 'holidays_added';

INSERT OR IGNORE INTO closures (on_date, kind, name, reason, added_by, added_at)
SELECT j.value, 'open', 'Office open', 'moved from setting holidays_removed',
       s.updated_by, s.updated_at
  FROM settings s, json_each(s.value) j
 WHERE s.key = 'holidays_removed';

INSERT INTO audit_log (at, actor, action, object_type, object_id, before, after)
SELECT strftime('%Y-%m-%dT%H:%M:%S', 'now'), 'migration 0002', 'settings.moved_to_closures',
       'setting', key, value, NULL
  FROM settings WHERE key IN ('holidays_added', 'holidays_removed');

DELETE FROM settings WHERE key IN ('holidays_added', 'holidays_removed');

-- One row per cycle, month (of the read) and event. The date a process used is frozen:
-- used_by/used_at are set by db.schedule.use_schedule_date and regeneration keeps the date.
CREATE TABLE schedule_dates (
    id                INTEGER PRIMARY KEY,
    month             TEXT NOT NULL,       -- YYYY-MM
    cycle_id          INTEGER NOT NULL REFERENCES cycles(id),
    event             TEXT NOT NULL CHECK (event IN ('read_start', 'read_end', 'bill', 'due',
                        'reminder', 'late_fee', 'lockoff', 'notice', 'door_hanger',
                        'commercial_lockoff', 'commercial_notice')),
    on_date           TEXT NOT NULL,
    explanation       TEXT NOT NULL,       -- JSON: core.explain.Explanation
    rule_date         TEXT NOT NULL,       -- what the rules gave at the last generation
    rule_explanation  TEXT NOT NULL,
    scheduled_by      TEXT NOT NULL CHECK (scheduled_by <> ''),
    scheduled_at      TEXT NOT NULL,       -- when on_date was last set
    overridden_by     TEXT,
    override_reason   TEXT CHECK (override_reason IS NULL OR override_reason <> ''),
    used_by           TEXT CHECK (used_by IS NULL OR used_by <> ''),
    used_at           TEXT,
    workload          INTEGER CHECK (workload IS NULL OR workload >= 0),
    UNIQUE (month, cycle_id, event),
    CHECK ((overridden_by IS NULL) = (override_reason IS NULL)),
    CHECK ((used_by IS NULL) = (used_at IS NULL))
) STRICT;
CREATE INDEX schedule_dates_on ON schedule_dates(on_date, cycle_id);

-- A used date is frozen: neither its date nor its use can change or disappear.
CREATE TRIGGER schedule_dates_used_frozen BEFORE UPDATE OF on_date, used_by, used_at
ON schedule_dates WHEN OLD.used_by IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'this schedule date has been used by a process and cannot move');
END;

CREATE TRIGGER schedule_dates_used_kept BEFORE DELETE ON schedule_dates
WHEN OLD.used_by IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'this schedule date has been used by a process and cannot move');
END;
