CREATE FUNCTION public.default_code() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'C-' || to_char(now(), 'YYYY') $$;
CREATE FUNCTION public.is_code(t text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT t LIKE 'C-%' $$;
