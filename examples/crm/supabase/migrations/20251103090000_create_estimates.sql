create table public.estimates (
  id uuid primary key default gen_random_uuid(),
  job_id uuid not null,
  customer_id uuid not null,
  total_cents integer not null check (total_cents >= 0),
  line_items jsonb not null default '[]'::jsonb,
  status text not null default 'draft',
  source text not null default 'manual',
  created_at timestamptz not null default now()
);

alter table public.estimates enable row level security;

create policy "owners read estimates of their customers" on public.estimates
  for select to authenticated
  using (exists (select 1 from public.customers c where c.id = customer_id and c.owner_id = auth.uid()));
