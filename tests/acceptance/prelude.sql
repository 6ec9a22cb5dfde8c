-- Run before each case's before.sql (after tests/supabase_like.sql): the tenancy table, with rows.
CREATE TABLE public.organizations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
INSERT INTO public.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Acme'), ('00000000-0000-0000-0000-00000000000b', 'Globex');
