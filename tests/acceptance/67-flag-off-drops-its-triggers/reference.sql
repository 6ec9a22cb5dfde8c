-- schemac never drops a function: the runtime function the flag used stays.
CREATE FUNCTION public.touch_updated_at() RETURNS trigger LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $$BEGIN NEW.updated_at := pg_catalog.now(); RETURN NEW; END$$;
