create table public.invoices (
  id uuid primary key default gen_random_uuid(),
  job_id uuid not null references public.jobs (id),
  customer_id uuid not null references public.customers (id),
  amount_cents integer not null check (amount_cents >= 0),
  status text not null default 'open',
  due_on date,
  created_at timestamptz not null default now()
);

create index invoices_job_id_idx on public.invoices (job_id);
create index invoices_customer_id_idx on public.invoices (customer_id);

alter table public.invoices enable row level security;

create policy "owners read invoices of their customers" on public.invoices
  for select to authenticated
  using (exists (select 1 from public.customers c where c.id = customer_id and c.owner_id = auth.uid()));
