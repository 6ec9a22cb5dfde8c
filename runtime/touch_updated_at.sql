CREATE OR REPLACE FUNCTION {{runtime}}.touch_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
BEGIN
  -- schemac's own backfill of a new column (a volatile default filled in
  -- batches) does not change what the row says: leave updated_at alone. Only
  -- for a member of the table's owner role; the flag is read first, so the
  -- owner lookup costs nothing when it is off.
  IF current_setting('schemac.backfill', true) = 'on' THEN
    IF pg_catalog.pg_has_role(session_user, (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID),
                              'MEMBER') THEN
      RETURN NEW;
    END IF;
  END IF;
  -- now() is the transaction's start time: every row one transaction changes
  -- gets the same updated_at, and no clock reading happens per row.
  NEW.updated_at := now();
  RETURN NEW;
END
$function$
