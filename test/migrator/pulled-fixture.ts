// A project as `supabase db pull` leaves it, then hand-written files (issue 14): shared by
// test/migrator/real-projects and test/stress/migrator-apply-semantics.
import { mig } from './helpers.js';

// The head of a `supabase db pull` dump: it empties search_path for the rest of the session.
export const DUMP = `SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET client_min_messages = warning;
SET row_security = off;

CREATE TABLE IF NOT EXISTS "public"."sales" (
    "id" bigint NOT NULL,
    "name" "text"
);
ALTER TABLE ONLY "public"."sales" ADD CONSTRAINT "sales_pkey" PRIMARY KEY ("id");
ALTER TABLE "public"."sales" ENABLE ROW LEVEL SECURITY;

CREATE OR REPLACE FUNCTION "public"."touch_sale"() RETURNS "trigger"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO ''
    AS $$ begin new.name := lower(new.name); return new; end $$;

CREATE OR REPLACE VIEW "public"."sales_names" WITH ("security_invoker"='on') AS
 SELECT "sales"."id", "sales"."name" FROM "public"."sales";
`;

export const PULLED = {
  [mig('20250101000000', 'remote_schema')]: DUMP,
  // Unqualified names, as hand-written migrations have them; the second also leaves a setting behind.
  [mig('20250102000000', 'tasks')]: `create table if not exists tasks (
  id bigint primary key,
  sales_id bigint references sales (id),
  title text
);
alter table tasks enable row level security;
set default_transaction_read_only = on;
`,
  [mig('20250103000000', 'seed')]: `insert into sales (id, name) values (1, 'Ada');
insert into tasks (id, sales_id, title) select g, 1, 'task ' || g from generate_series(1, 200) g;
create trigger touch before insert on sales for each row execute function touch_sale();
`,
};
