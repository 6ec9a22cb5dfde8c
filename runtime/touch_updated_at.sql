CREATE OR REPLACE FUNCTION {{runtime}}.touch_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
BEGIN
  -- now() is the transaction's start time: every row one transaction changes
  -- gets the same updated_at, and no clock reading happens per row.
  NEW.updated_at := now();
  RETURN NEW;
END
$function$
