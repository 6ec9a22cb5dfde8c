-- Declarations, and what does not belong beside them.
CREATE VIEW order_ids AS SELECT id FROM orders;
INSERT INTO orders VALUES (gen_random_uuid());
DROP TABLE old_orders;

  ALTER TABLE orders RENAME TO purchases;
DO $$ BEGIN PERFORM 1; END $$;
CREATE POLICY "Read all" ON orders FOR SELECT USING (true); SELECT 1;
