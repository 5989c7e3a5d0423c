create table public.customers (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id),
  name text not null,
  email text,
  phone text,
  address text,
  created_at timestamptz not null default now()
);

alter table public.customers enable row level security;

create policy "owners manage their customers" on public.customers
  for all to authenticated
  using (auth.uid() = owner_id)
  with check (auth.uid() = owner_id);
