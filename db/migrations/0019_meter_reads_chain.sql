-- The billing run and the read audit at district size (issues 4 and 5, speed): both load each
-- premise's meter readings over a window (db/read_history.py load_chains), each meter's reads
-- through meter_reads_meter (meter, read day), then the table for the reading and its kind.
-- At 100,000 accounts meter_reads is 169 MB of wide rows and a meter's monthly reads lie on
-- as many pages: a 24,370-premise cycle's 72,960 period reads took 0.089 s warm and 0.17 s
-- cold that way, and take 0.062 s and 0.10 s from this index, which holds what is read.
--
-- It replaces meter_reads_meter, beginning with the same columns in the same order (the id
-- included, so a meter's reads of one day keep their id order), so every query that used
-- that index can use this one, and an imported read still writes one index entry.

CREATE INDEX meter_reads_chain ON meter_reads(meter_id, read_on, id, reading, kind);
DROP INDEX meter_reads_meter;
