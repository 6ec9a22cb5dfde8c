CREATE OR REPLACE FUNCTION {{runtime}}.soft_delete()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO pg_catalog, pg_temp
AS $function$
-- BEFORE DELETE (and BEFORE UPDATE OF deleted_at) row trigger, fired only for
-- roles under row level security (the trigger's WHEN clause). It skips the
-- original statement's change of the row, so the row stays in the table, and
-- has it marked deleted as the definer: the tenant's SELECT policy (which
-- hides deleted rows) is never asked to accept a deleted row. A DELETE's rows
-- are queued, and soft_delete_mark() marks them all in one UPDATE at the end
-- of the statement (one UPDATE per row, each with its audit INSERT, made a
-- 200,000-row soft delete 30 times slower than setting deleted_at). An UPDATE
-- of deleted_at marks its row itself. TG_ARGV: the primary key columns;
-- before them, when the table marks deletes in another column than
-- deleted_at, '' (no column has an empty name) and that column.
-- SECURITY DEFINER: search_path is pinned with pg_temp last and every type and
-- function is schema-qualified, so no temporary object can stand in for one.
DECLARE
  match pg_catalog.text := '';
  marked pg_catalog.int8;
  deleted pg_catalog.text := 'deleted_at';
  first_key pg_catalog.int4 := 0;
BEGIN
  -- Our own UPDATE (or soft_delete_mark()'s) re-enters when the definer is itself under RLS.
  IF pg_catalog.current_setting('schemac.soft_deleting', true) = 'on' THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    -- The queue is this session's: its rows go with the statement's transaction.
    INSERT INTO {{runtime}}.soft_delete_queue (backend, relid, row_data)
      VALUES (pg_catalog.pg_backend_pid(), TG_RELID, pg_catalog.to_jsonb(OLD));
    RETURN NULL;
  END IF;
  IF TG_NARGS > 1 AND TG_ARGV[0] = '' THEN
    deleted := TG_ARGV[1];
    first_key := 2;
  END IF;
  FOR i IN first_key .. TG_NARGS - 1 LOOP
    match := match || CASE WHEN i > first_key THEN ' AND ' ELSE '' END || pg_catalog.format('%1$I = ($1).%1$I', TG_ARGV[i]);
  END LOOP;
  PERFORM pg_catalog.set_config('schemac.soft_deleting', 'on', true);
  EXECUTE pg_catalog.format('UPDATE %I.%I SET %I = ($2).%I WHERE %s', TG_TABLE_SCHEMA, TG_TABLE_NAME, deleted,
                            deleted, match)
    USING OLD, NEW;
  GET DIAGNOSTICS marked = ROW_COUNT;
  PERFORM pg_catalog.set_config('schemac.soft_deleting', '', true);
  IF marked = 0 THEN
    RAISE EXCEPTION 'soft delete of a row in %.% marked nothing', TG_TABLE_SCHEMA, TG_TABLE_NAME
      USING HINT = 'the owner of soft_delete() is itself subject to row level security on this table; '
                   'own the runtime functions by a role with BYPASSRLS (as Supabase''s postgres role is)';
  END IF;
  RETURN NULL;
END
$function$
