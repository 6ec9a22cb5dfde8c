CREATE OR REPLACE FUNCTION {{runtime}}.audit_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO pg_catalog, pg_temp
 SET jit TO off
 SET enable_nestloop TO off
AS $function$
-- Statement-level AFTER trigger with transition tables: one INSERT into the
-- audit table per statement, one audit row per changed row.
-- TG_ARGV: [0] primary key column (uuid), [1] the tenancy column or '',
--          [2] 'soft_delete' when setting deleted_at is how rows are deleted,
--          [3], [4] schema and name of the audit table (the one this
--          function was built for: it refuses any other),
--          [5] the column soft deletes set, when not deleted_at.
-- Every statement below is static SQL, so PL/pgSQL plans it once per trigger
-- and session and reuses the plan: planning a dynamic INSERT on every
-- statement cost more than the one-row writes of an API it recorded. Columns
-- are reached through each row's jsonb (the row is encoded once, in a
-- subquery that OFFSET 0 keeps from being inlined, so it is not encoded again
-- for every expression that reads it). x.* (not x) names the whole row: a
-- table with a column named x would otherwise record that column.
-- It runs as its owner (SECURITY DEFINER): search_path is pinned with pg_temp
-- last, and every type and function is written with its schema, so
-- a temporary object of the caller's can never stand in for one. Names from
-- the trigger's arguments are only ever jsonb keys, never SQL; the audit
-- table and tenancy column come from the project's settings, quoted.
-- jit off: the planner cannot see how many rows a transition table holds and
-- assumes millions, so JIT compiled every bulk statement's audit INSERT, at a
-- cost of more than the INSERT itself.
-- enable_nestloop off: a kept plan is made for the rows of the statement that
-- made it. After a few one-row updates, PostgreSQL keeps a generic plan that
-- pairs old and new rows in a nested loop, and a 200,000-row update then
-- compared every row with every other (it ran past a minute, where a merge
-- or hash join takes a second). The only nested loop left is the lateral one
-- that doubles a moved row, which has no alternative.
DECLARE
  pk pg_catalog.text := TG_ARGV[0];
  tenant pg_catalog.text := TG_ARGV[1];
  deleted pg_catalog.text := CASE WHEN TG_ARGV[2] IS DISTINCT FROM 'soft_delete' THEN NULL
                                  WHEN TG_NARGS > 5 THEN TG_ARGV[5] ELSE 'deleted_at' END;
  -- Read the JWT once per statement, not once per row.
  actor pg_catalog.uuid := auth.uid();
BEGIN
  -- The audit table and the tenancy column are the project's, built into
  -- this function; a trigger naming others was not made by schemac.
  IF TG_NARGS < 5 OR TG_ARGV[3] IS DISTINCT FROM {{audit_schema}} OR TG_ARGV[4] IS DISTINCT FROM {{audit_name}}
     OR tenant NOT IN ('', {{tenant_column_name}}) THEN
    RAISE EXCEPTION 'the audit trigger on %.% names another audit table or tenancy column than %.% and %',
      TG_TABLE_SCHEMA, TG_TABLE_NAME, {{audit_schema}}, {{audit_name}}, {{tenant_column_name}}
      USING HINT = 'let schemac create the audit triggers (audited = true): it passes the [audit] and [tenancy] settings';
  END IF;
  -- schemac's own backfill of a new column records nothing: the rows say what
  -- they said. Only the deploy session may skip the trail this way: a session
  -- user who is a member of the table's owner role, acting as itself (no SET
  -- ROLE: the role setting is what SET ROLE changes, and the only trace of the
  -- caller's role inside a SECURITY DEFINER function). Anyone else setting
  -- the flag is audited as usual. The flag is tested on its own first: PL/pgSQL
  -- evaluates a condition without a subquery directly, and one with the owner
  -- lookup as a query (5 us of every statement's trail, pg_stat_statements).
  IF pg_catalog.current_setting('schemac.backfill', true) = 'on' THEN
    IF pg_catalog.current_setting('role') = 'none'
       AND pg_catalog.pg_has_role(session_user,
                                  (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID), 'MEMBER') THEN
      RETURN NULL;
    END IF;
  END IF;
  IF tenant = '' THEN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO {{audit_table}} (table_schema, table_name, record_id, action, new_data, changed_by)
      SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, (r.j ->> pk)::pg_catalog.uuid, 'INSERT', r.j, actor
      FROM (SELECT pg_catalog.to_jsonb(x.*) AS j FROM new_rows x OFFSET 0) r;
    ELSIF TG_OP = 'UPDATE' THEN
      INSERT INTO {{audit_table}} (table_schema, table_name, record_id, action, old_data, new_data, changed_by)
      SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, n.k,
             CASE WHEN (o.j ->> deleted) IS NULL
                       AND (n.j ->> deleted) IS NOT NULL THEN 'DELETE'
                  ELSE 'UPDATE' END,
             o.j, n.j, actor
      FROM (SELECT s.j, (s.j ->> pk)::pg_catalog.uuid AS k
            FROM (SELECT pg_catalog.to_jsonb(x.*) AS j FROM new_rows x OFFSET 0) s OFFSET 0) n
      JOIN (SELECT s.j, (s.j ->> pk)::pg_catalog.uuid AS k
            FROM (SELECT pg_catalog.to_jsonb(x.*) AS j FROM old_rows x OFFSET 0) s OFFSET 0) o
        ON o.k = n.k;
    ELSE
      INSERT INTO {{audit_table}} (table_schema, table_name, record_id, action, old_data, changed_by)
      SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, (r.j ->> pk)::pg_catalog.uuid, 'DELETE', r.j, actor
      FROM (SELECT pg_catalog.to_jsonb(x.*) AS j FROM old_rows x OFFSET 0) r;
    END IF;
    RETURN NULL;
  END IF;
  -- A tenant-scoped table: its tenancy column is the project's (checked above),
  -- read as a column so tenant_id keeps its type.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO {{audit_table}} (table_schema, table_name, record_id, action, new_data, changed_by, tenant_id)
    SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, (r.j ->> pk)::pg_catalog.uuid, 'INSERT', r.j, actor, r.t
    FROM (SELECT pg_catalog.to_jsonb(x.*) AS j, x.{{tenant_column}} AS t FROM new_rows x OFFSET 0) r;
  ELSIF TG_OP = 'UPDATE' THEN
    -- A row moved to another organization is two records: a DELETE that the
    -- organization it left may read (old values only) and an INSERT for the
    -- one it joined (new values only), so no tenant reads the other's data.
    -- Every other row is one record (part 1).
    INSERT INTO {{audit_table}} (table_schema, table_name, record_id, action, old_data, new_data, changed_by, tenant_id)
    SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, p.k,
           CASE WHEN part = 2 THEN 'INSERT'
                WHEN p.moved THEN 'DELETE'
                WHEN (p.o ->> deleted) IS NULL
                     AND (p.n ->> deleted) IS NOT NULL THEN 'DELETE'
                ELSE 'UPDATE' END,
           CASE WHEN part = 2 THEN NULL ELSE p.o END,
           CASE WHEN p.moved AND part = 1 THEN NULL ELSE p.n END,
           actor,
           CASE WHEN part = 1 THEN p.ot ELSE p.nt END
    FROM (SELECT n.k, o.j AS o, n.j AS n, o.t AS ot, n.t AS nt, o.t IS DISTINCT FROM n.t AS moved
          FROM (SELECT s.j, s.t, (s.j ->> pk)::pg_catalog.uuid AS k
                FROM (SELECT pg_catalog.to_jsonb(x.*) AS j, x.{{tenant_column}} AS t FROM new_rows x OFFSET 0) s
                OFFSET 0) n
          JOIN (SELECT s.j, s.t, (s.j ->> pk)::pg_catalog.uuid AS k
                FROM (SELECT pg_catalog.to_jsonb(x.*) AS j, x.{{tenant_column}} AS t FROM old_rows x OFFSET 0) s
                OFFSET 0) o
            ON o.k = n.k
          OFFSET 0) p
    CROSS JOIN LATERAL pg_catalog.generate_series(1, CASE WHEN p.moved THEN 2 ELSE 1 END) part;
  ELSE
    INSERT INTO {{audit_table}} (table_schema, table_name, record_id, action, old_data, changed_by, tenant_id)
    SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, (r.j ->> pk)::pg_catalog.uuid, 'DELETE', r.j, actor, r.t
    FROM (SELECT pg_catalog.to_jsonb(x.*) AS j, x.{{tenant_column}} AS t FROM old_rows x OFFSET 0) r;
  END IF;
  RETURN NULL;
END
$function$
