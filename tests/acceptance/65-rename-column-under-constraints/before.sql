-- A column that a check, a unique constraint, a partial index and another
-- table's foreign key all name: renaming it must keep every one of them (a
-- rebuild would re-scan or re-index the table for nothing).
CREATE TABLE skus (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), organization_id uuid NOT NULL REFERENCES organizations(id),
  code text NOT NULL, CONSTRAINT skus_code_format CHECK (length(code) BETWEEN 3 AND 12 AND code = upper(code)),
  CONSTRAINT skus_org_code_key UNIQUE (organization_id, code));
CREATE INDEX idx_skus_code_prefix ON skus (left(code, 3)) WHERE code <> 'NONE';
CREATE TABLE stock (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), organization_id uuid NOT NULL REFERENCES organizations(id),
  sku_code text NOT NULL, CONSTRAINT stock_sku_fkey FOREIGN KEY (organization_id, sku_code) REFERENCES skus (organization_id, code));
INSERT INTO skus (organization_id, code) SELECT CASE WHEN g % 2 = 0 THEN '00000000-0000-0000-0000-00000000000a'::uuid ELSE '00000000-0000-0000-0000-00000000000b'::uuid END, 'SKU' || g FROM generate_series(1, 500) g;
INSERT INTO stock (organization_id, sku_code) SELECT organization_id, code FROM skus;
