-- The crew's dispatch list (db/lockoff_orders.py register_page, count_register) and the check
-- for an order still open from another list (open_elsewhere) read the open orders, oldest
-- lock-off day first: by this index they read only those, in order, however many closed
-- orders the years have kept.
CREATE INDEX lockoff_orders_status ON lockoff_orders(status, lockoff_on, id);
