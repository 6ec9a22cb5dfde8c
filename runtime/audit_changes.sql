CREATE OR REPLACE FUNCTION {{runtime}}.audit_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO pg_catalog, pg_temp
 SET jit TO off
AS $function$
-- Statement-level AFTER trigger with transition tables: one INSERT into the
-- audit table per statement, one audit row per changed row (r: the row as it
-- is after the change, or as it was before a delete; o: before an update).
-- TG_ARGV: [0] primary key column (uuid), [1] tenancy column or '',
--          [2] 'soft_delete' when setting deleted_at is how rows are deleted,
--          [3], [4] schema and name of the audit table,
--          [5] the column soft deletes set, when not deleted_at.
-- It runs as its owner (SECURITY DEFINER): search_path is pinned with pg_temp
-- last, and every type and function is written with its schema, so a
-- temporary type or function of the caller's can never stand in for one.
-- Names come only from the trigger's arguments, through format('%I').
-- jit off: the planner cannot see how many rows a transition table holds and
-- assumes millions, so JIT compiled every bulk statement's audit INSERT, at a
-- cost of more than the INSERT itself.
DECLARE
  pk pg_catalog.text := TG_ARGV[0];
  tenant pg_catalog.text := TG_ARGV[1];
  audit pg_catalog.text := pg_catalog.format('%I.%I', TG_ARGV[3], TG_ARGV[4]);
  action pg_catalog.text := pg_catalog.quote_literal(TG_OP);
  -- Read the JWT once per statement, not once per row.
  actor pg_catalog.uuid := auth.uid();
BEGIN
  -- schemac's own backfill of a new column records nothing: the rows say what
  -- they said. Only the deploy session may skip the trail this way: a session
  -- user who is a member of the table's owner role, acting as itself (no SET
  -- ROLE: the role setting is what SET ROLE changes, and the only trace of the
  -- caller's role inside a SECURITY DEFINER function). Anyone else setting
  -- the flag is audited as usual.
  IF pg_catalog.current_setting('schemac.backfill', true) = 'on'
     AND pg_catalog.current_setting('role') = 'none'
     AND pg_catalog.pg_has_role(session_user,
                                (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID), 'MEMBER') THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    EXECUTE pg_catalog.format(
      'INSERT INTO %s (table_schema, table_name, record_id, action, new_data, changed_by, tenant_id)
       SELECT $1, $2, r.%I, %s, pg_catalog.to_jsonb(r), $3, %s FROM new_rows r',
      audit, pk, action, CASE WHEN tenant = '' THEN 'NULL' ELSE pg_catalog.format('r.%I', tenant) END)
      USING TG_TABLE_SCHEMA, TG_TABLE_NAME, actor;
  ELSIF TG_OP = 'UPDATE' THEN
    IF TG_ARGV[2] = 'soft_delete' THEN
      action := pg_catalog.format($a$CASE WHEN o.%1$I IS NULL AND r.%1$I IS NOT NULL THEN 'DELETE' ELSE 'UPDATE' END$a$,
                                  CASE WHEN TG_NARGS > 5 THEN TG_ARGV[5] ELSE 'deleted_at' END);
    END IF;
    IF tenant = '' THEN
      EXECUTE pg_catalog.format(
        'INSERT INTO %1$s (table_schema, table_name, record_id, action, old_data, new_data, changed_by)
         SELECT $1, $2, r.%2$I, %3$s, pg_catalog.to_jsonb(o), pg_catalog.to_jsonb(r), $3
         FROM new_rows r JOIN old_rows o ON o.%2$I = r.%2$I',
        audit, pk, action) USING TG_TABLE_SCHEMA, TG_TABLE_NAME, actor;
    ELSE
      -- A row moved to another organization is two records: a DELETE that the
      -- organization it left may read (old values only) and an INSERT for the
      -- one it joined (new values only). No tenant reads the other's data.
      EXECUTE pg_catalog.format(
        'INSERT INTO %1$s (table_schema, table_name, record_id, action, old_data, new_data, changed_by, tenant_id)
         SELECT $1, $2, r.%2$I,
                CASE WHEN NOT m.moved THEN %3$s WHEN m.part = 1 THEN ''DELETE'' ELSE ''INSERT'' END,
                CASE WHEN m.part = 2 THEN NULL ELSE pg_catalog.to_jsonb(o) END,
                CASE WHEN m.moved AND m.part = 1 THEN NULL ELSE pg_catalog.to_jsonb(r) END,
                $3,
                CASE WHEN m.part = 1 THEN o.%4$I ELSE r.%4$I END
         FROM new_rows r JOIN old_rows o ON o.%2$I = r.%2$I
         CROSS JOIN LATERAL (SELECT p.part, o.%4$I IS DISTINCT FROM r.%4$I AS moved
                             FROM (VALUES (1), (2)) p(part)) m
         WHERE m.part = 1 OR m.moved',
        audit, pk, action, tenant) USING TG_TABLE_SCHEMA, TG_TABLE_NAME, actor;
    END IF;
  ELSE
    EXECUTE pg_catalog.format(
      'INSERT INTO %s (table_schema, table_name, record_id, action, old_data, changed_by, tenant_id)
       SELECT $1, $2, r.%I, %s, pg_catalog.to_jsonb(r), $3, %s FROM old_rows r',
      audit, pk, action, CASE WHEN tenant = '' THEN 'NULL' ELSE pg_catalog.format('r.%I', tenant) END)
      USING TG_TABLE_SCHEMA, TG_TABLE_NAME, actor;
  END IF;
  RETURN NULL;
END
$function$
