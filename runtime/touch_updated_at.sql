CREATE OR REPLACE FUNCTION {{runtime}}.touch_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO pg_catalog, pg_temp
AS $function$
BEGIN
  -- schemac's own backfill of a new column (a volatile default filled in
  -- batches) does not change what the row says: leave updated_at alone. Only
  -- when the role running the statement (current_user: this function runs as
  -- its caller) is a member of the table's owner role: a tenant that sets the
  -- flag, even in a superuser's session after SET ROLE, is touched as usual.
  -- The flag is read first, so the owner lookup costs nothing when it is off.
  IF pg_catalog.current_setting('schemac.backfill', true) = 'on' THEN
    IF pg_catalog.pg_has_role(current_user,
                              (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID), 'MEMBER') THEN
      RETURN NEW;
    END IF;
  END IF;
  -- now() is the transaction's start time: every row one transaction changes
  -- gets the same updated_at, and no clock reading happens per row.
  IF TG_NARGS = 0 THEN
    NEW.updated_at := pg_catalog.now();
  ELSE
    -- touch_updated_at = "last_update": the column the trigger names.
    NEW := pg_catalog.jsonb_populate_record(NEW, pg_catalog.jsonb_build_object(TG_ARGV[0], pg_catalog.now()));
  END IF;
  RETURN NEW;
END
$function$
