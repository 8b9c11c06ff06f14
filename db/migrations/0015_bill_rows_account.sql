-- One index by account on bill_rows instead of two (issue 5, speed): each bill a draft stores
-- was written into both bill_rows_account(account_id, run_id) and the partial
-- bill_rows_history(account_id, period_end, id). The run's own lookups (run_id, account_id)
-- use the UNIQUE (run_id, account_id) index; an account's bills (the account screen, the
-- latest bill a draft extends: db/billing_draft.py PREVIOUS_SQL) use bill_rows_history, now
-- over every bill, under the same name.
DROP INDEX bill_rows_account;
DROP INDEX bill_rows_history;
CREATE INDEX bill_rows_history ON bill_rows(account_id, period_end, id);
