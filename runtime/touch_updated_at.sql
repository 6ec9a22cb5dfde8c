CREATE OR REPLACE FUNCTION {{runtime}}.touch_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
-- Runs as its caller, so without SET search_path (saved and restored on
-- every row, half this trigger's cost): every name below has its schema.
BEGIN
  -- schemac's own backfill of a new column (a volatile default filled in
  -- batches) does not change what the row says: leave updated_at alone. Only
  -- for the deploy session, as audit_changes() decides it: a session user who
  -- is a member of the table's owner role, acting as itself (no SET ROLE). Not
  -- current_user: a tenant's soft delete is an UPDATE that soft_delete_mark()
  -- runs as the owner, and a tenant that sets the flag is touched as usual.
  -- The flag is read first, so the owner lookup costs nothing when it is off.
  IF pg_catalog.current_setting('schemac.backfill', true) OPERATOR(pg_catalog.=) 'on' THEN
    IF pg_catalog.current_setting('role') OPERATOR(pg_catalog.=) 'none'
       AND pg_catalog.pg_has_role(session_user,
                                  (SELECT c.relowner FROM pg_catalog.pg_class c
                                   WHERE c.oid OPERATOR(pg_catalog.=) TG_RELID), 'MEMBER') THEN
      RETURN NEW;
    END IF;
  END IF;
  -- now() is the transaction's start time: every row one transaction changes
  -- gets the same updated_at, and no clock reading happens per row.
  IF TG_NARGS OPERATOR(pg_catalog.=) 0 THEN
    NEW.updated_at := pg_catalog.now();
  ELSE
    -- touch_updated_at = "last_update": the column the trigger names.
    NEW := pg_catalog.jsonb_populate_record(NEW, pg_catalog.jsonb_build_object(TG_ARGV[0], pg_catalog.now()));
  END IF;
  RETURN NEW;
END
$function$
