create table public.jobs (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid not null references public.customers (id) on delete cascade,
  title text not null,
  status text not null default 'scheduled' check (status in ('scheduled', 'in_progress', 'done', 'cancelled')),
  scheduled_for timestamptz,
  created_at timestamptz not null default now()
);

create index jobs_customer_id_idx on public.jobs (customer_id);

alter table public.jobs enable row level security;

create policy "owners manage jobs of their customers" on public.jobs
  for all to authenticated
  using (exists (select 1 from public.customers c where c.id = customer_id and c.owner_id = auth.uid()));
