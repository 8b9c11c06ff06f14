-- The print file at district size (issue 5, speed): each bill's record carries the account's
-- payments and its other credits and charges since its period began (db/bill_print.py
-- BILLS_SQL, read by the freeze). Through ledger_account (account, day, id) each entry in
-- the period was read from the table for its book, type and amount: at 100,000 accounts the
-- ledger is 339 MB, a cycle's accounts' entries lie across most of it, and those lookups were
-- about a quarter of the freeze's reading (0.26 -> 0.20 s a 24,400-bill cycle, measured).
--
-- This index covers those sums. It holds only the receivable entries that are not bills, so
-- the freeze's bulk posting of a run's bills (db/billing_post.py) writes nothing more; each
-- payment, return and adjustment writes one more index entry. BILLS_SQL says both terms of
-- the WHERE below word for word, which is how SQLite knows it may use a partial index.

CREATE INDEX ledger_credits ON ledger_entries(account_id, effective_on, book, entry_type,
                                             amount_cents)
    WHERE book = 'receivable' AND entry_type <> 'bill';
