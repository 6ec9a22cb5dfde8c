CREATE OR REPLACE FUNCTION {{runtime}}.audit_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
-- Statement-level AFTER trigger with transition tables: one INSERT into the
-- audit table per statement, one audit row per changed row (r: the row as it
-- is after the change, or as it was before a delete; o: before an update).
-- TG_ARGV: [0] primary key column (uuid), [1] tenancy column or '',
--          [2] 'soft_delete' when setting deleted_at is how rows are deleted.
DECLARE
  pk text := TG_ARGV[0];
  tenant text := CASE WHEN TG_ARGV[1] = '' THEN 'NULL' ELSE format('r.%I', TG_ARGV[1]) END;
  action text := quote_literal(TG_OP);
  -- Read the JWT once per statement, not once per row.
  actor uuid := auth.uid();
BEGIN
  -- schemac's own backfill of a new column records nothing: the rows say what
  -- they said. Only a member of the table's owner role may skip the trail this
  -- way (the owner can disable the trigger anyway); anyone else setting the
  -- flag is audited as usual.
  IF current_setting('schemac.backfill', true) = 'on' THEN
    IF pg_catalog.pg_has_role(session_user, (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID),
                              'MEMBER') THEN
      RETURN NULL;
    END IF;
  END IF;
  IF TG_OP = 'INSERT' THEN
    EXECUTE format(
      'INSERT INTO {{audit_table}} (table_schema, table_name, record_id, action, new_data, changed_by, tenant_id)
       SELECT $1, $2, r.%I, %s, to_jsonb(r), $3, %s FROM new_rows r',
      pk, action, tenant) USING TG_TABLE_SCHEMA, TG_TABLE_NAME, actor;
  ELSIF TG_OP = 'UPDATE' THEN
    IF TG_ARGV[2] = 'soft_delete' THEN
      action := $a$CASE WHEN o.deleted_at IS NULL AND r.deleted_at IS NOT NULL THEN 'DELETE' ELSE 'UPDATE' END$a$;
    END IF;
    EXECUTE format(
      'INSERT INTO {{audit_table}} (table_schema, table_name, record_id, action, old_data, new_data, changed_by, tenant_id)
       SELECT $1, $2, r.%1$I, %2$s, to_jsonb(o), to_jsonb(r), $3, %3$s
       FROM new_rows r JOIN old_rows o ON o.%1$I = r.%1$I',
      pk, action, tenant) USING TG_TABLE_SCHEMA, TG_TABLE_NAME, actor;
  ELSE
    EXECUTE format(
      'INSERT INTO {{audit_table}} (table_schema, table_name, record_id, action, old_data, changed_by, tenant_id)
       SELECT $1, $2, r.%I, %s, to_jsonb(r), $3, %s FROM old_rows r',
      pk, action, tenant) USING TG_TABLE_SCHEMA, TG_TABLE_NAME, actor;
  END IF;
  RETURN NULL;
END
$function$
