CREATE OR REPLACE FUNCTION {{runtime}}.soft_delete_mark()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO pg_catalog, pg_temp
 SET jit TO off
AS $function$
-- AFTER DELETE statement trigger, fired only for roles under row level
-- security (the trigger's WHEN clause): marks deleted, in one UPDATE as the
-- definer, the rows soft_delete() queued for this table in this session and
-- skipped deleting. The UPDATE fires the table's own triggers once (the audit
-- trail records the rows as deleted). TG_ARGV as soft_delete()'s: the primary
-- key columns; before them, when the table marks deletes in another column
-- than deleted_at, '' and that column.
-- SECURITY DEFINER: search_path is pinned with pg_temp last and every type and
-- function is schema-qualified, so no temporary object can stand in for one.
-- jit off: the planner cannot see how many rows the queue holds.
DECLARE
  match pg_catalog.text := '';
  -- The key columns' values, picked out of each queued row: a record made
  -- from the whole row cost 1 s of a 200,000-row soft delete (issue 11).
  key_object pg_catalog.text := '';
  deleted pg_catalog.text := 'deleted_at';
  first_key pg_catalog.int4 := 0;
  queued pg_catalog.int8;
  marked pg_catalog.int8;
BEGIN
  IF TG_NARGS > 1 AND TG_ARGV[0] = '' THEN
    deleted := TG_ARGV[1];
    first_key := 2;
  END IF;
  FOR i IN first_key .. TG_NARGS - 1 LOOP
    match := match || CASE WHEN i > first_key THEN ' AND ' ELSE '' END || pg_catalog.format('t.%1$I = k.%1$I', TG_ARGV[i]);
    key_object := key_object || CASE WHEN i > first_key THEN ', ' ELSE '' END
                  || pg_catalog.format('%1$L, q.row_data -> %1$L', TG_ARGV[i]);
  END LOOP;
  PERFORM pg_catalog.set_config('schemac.soft_deleting', 'on', true);
  EXECUTE pg_catalog.format(
    'WITH q AS (DELETE FROM {{runtime}}.soft_delete_queue
                WHERE backend = pg_catalog.pg_backend_pid() AND relid = $1 RETURNING row_data),
          m AS (UPDATE %1$I.%2$I t SET %3$I = pg_catalog.now()
                FROM q CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::%1$I.%2$I, pg_catalog.jsonb_build_object(%5$s)) k
                WHERE %4$s RETURNING 1)
     SELECT (SELECT pg_catalog.count(*) FROM q), (SELECT pg_catalog.count(*) FROM m)',
    TG_TABLE_SCHEMA, TG_TABLE_NAME, deleted, match, key_object)
    INTO queued, marked USING TG_RELID;
  PERFORM pg_catalog.set_config('schemac.soft_deleting', '', true);
  IF marked < queued THEN
    RAISE EXCEPTION 'soft delete of % rows in %.% marked %', queued, TG_TABLE_SCHEMA, TG_TABLE_NAME, marked
      USING HINT = 'the owner of soft_delete_mark() is itself subject to row level security on this table; '
                   'own the runtime functions by a role with BYPASSRLS (as Supabase''s postgres role is)';
  END IF;
  RETURN NULL;
END
$function$
