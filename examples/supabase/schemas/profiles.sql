-- A Supabase declarative schema file (supabase/schemas/*.sql), as `supabase db diff`
-- reads them: the adoption walk-through imports it with `schemac import --from-sql`.
create table public.profiles (
  id uuid primary key default gen_random_uuid(),
  username text unique check (char_length(username) >= 3),
  status varchar(10) not null default 'active' check (status in ('active', 'gone')),
  updated_at timestamptz not null default now()
);

alter table public.profiles enable row level security;

create policy "read own" on public.profiles for select to authenticated using ((select auth.uid()) = id);
