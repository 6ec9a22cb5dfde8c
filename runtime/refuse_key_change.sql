CREATE OR REPLACE FUNCTION {{runtime}}.refuse_key_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO pg_catalog, pg_temp
AS $function$
-- BEFORE UPDATE OF <primary key> row trigger of an audited table (its WHEN
-- clause fires it only when the key really changes). The audit trail pairs
-- the rows before and after an UPDATE by their key: a statement that changed
-- the key would change a row with no record of it, so it is refused, for
-- every role.
BEGIN
  RAISE EXCEPTION 'the primary key of %.% cannot change: the audit trail records each row by its key',
    TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation',
          HINT = 'insert a row with the new key and delete the old one; the audit trail records both';
END
$function$
