-- touch_updated_at as an earlier apply left it: schemac's runtime function and its trigger.
CREATE FUNCTION public.touch_updated_at() RETURNS trigger LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $$BEGIN NEW.updated_at := pg_catalog.now(); RETURN NEW; END$$;
CREATE TABLE items (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), organization_id uuid NOT NULL REFERENCES organizations(id), name text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TRIGGER t_items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();
INSERT INTO items (organization_id, name) SELECT CASE WHEN g % 2 = 0 THEN '00000000-0000-0000-0000-00000000000a'::uuid ELSE '00000000-0000-0000-0000-00000000000b'::uuid END, 'item ' || g FROM generate_series(1, 1000) g;
