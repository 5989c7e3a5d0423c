// What BugHunter reads of a project laid out unlike the example: env templates and platform
// variables, writes through data providers and SQL, tsconfig references and nested apps, and a
// project without node_modules.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findUnresolved, isArchived, tablesWithoutWrites } from '../../agents/bug-hunter/references.js';
import { typeCheck } from '../../agents/shared/ts-diagnostics.js';
import { deleteBlockedByKey, foreignKeys } from '../../agents/bug-hunter/fk-actions.js';
import { testCommandFor } from '../../src/engine/deploy.js';
import { cleanupProjects, makeProject } from '../helpers.js';

afterAll(cleanupProjects);

describe('undeclared-env', () => {
  const env = (files: Array<{ path: string; content: string }>) => findUnresolved(files).filter((u) => u.kind === 'env');

  it('reads every env template, knows what the platform sets, and skips reads with a fallback', () => {
    const found = env([
      { path: '.env.local.example', content: 'NEXT_PUBLIC_SUPABASE_URL=\nSTRIPE_SECRET_KEY=\n# STRIPE_WEBHOOK_SECRET=\n' },
      { path: 'apps/api/.env.development', content: 'API_TOKEN=dev\n' },
      { path: 'deploy/app.env.template', content: 'SENTRY_DSN=\n' },
      {
        path: 'utils/stripe.ts',
        content: [
          'const key = process.env.STRIPE_SECRET_KEY_LIVE ?? process.env.STRIPE_SECRET_KEY;',
          "const url = process.env.NEXT_PUBLIC_SITE_URL || 'http://localhost:3000';",
          'const site = process.env.NEXT_PUBLIC_VERCEL_URL; const env = process.env.VERCEL_ENV; const dev = process.env.NODE_ENV; const c = process.env.NO_COLOR;',
          'const s = process.env.STRIPE_WEBHOOK_SECRET, t = process.env.API_TOKEN, d = process.env.SENTRY_DSN;',
          'const missing = process.env.RESEND_API_KEY ? process.env.RESEND_API_KEY : null;',
        ].join('\n'),
      },
      { path: 'supabase/functions/hook/index.ts', content: "const url = Deno.env.get('SUPABASE_URL'); const key = Deno.env.get('SUPABASE_SERVICE_ROLE_KEY'); const x = Deno.env.get('OPENAI_KEY');" },
      { path: 'lib/admin.ts', content: 'const url = process.env.SUPABASE_URL;' },
    ]);
    expect(found.map((u) => [u.name, u.usedAt.map((a) => `${a.path}:${a.line}`)])).toEqual([
      ['RESEND_API_KEY', ['utils/stripe.ts:5']],
      ['SUPABASE_URL', ['lib/admin.ts:1']],
      ['OPENAI_KEY', ['supabase/functions/hook/index.ts:1']],
    ]);
    expect(found[0]!.lookedIn).toBe('.env.local.example, apps/api/.env.development, deploy/app.env.template');
  });
});

describe('table-without-writes', () => {
  const tables = ['tags', 'deals', 'users', 'audit_log', 'notes', 'contacts'];
  it('sees writes through data providers, resources, SQL functions, triggers and seeds; never names an archived migration', () => {
    const unwritten = tablesWithoutWrites(
      [
        { path: 'src/tags/TagCreate.tsx', content: 'await dataProvider.create<Tag>("tags", { data: { name } });' },
        { path: 'src/deals/DealCreate.tsx', content: '<Create resource="deals" redirect="show"><SimpleForm /></Create>' },
        { path: 'supabase/migrations/20240101_init.sql', content: 'create table public.users (id uuid);\ncreate table public.audit_log (id int);\ncreate table notes (id int);\ncreate table contacts (id int);\ncreate function public.handle_new_user() returns trigger as $$ begin insert into public.users (id) values (new.id); return new; end $$ language plpgsql;' },
        { path: 'supabase/seed.sql', content: "INSERT INTO notes (id) VALUES (1);" },
        { path: 'supabase/migrations_archive/20230101_old.sql', content: 'create table contacts (id int);\ninsert into contacts values (1);\ncreate table audit_log (id int);' },
      ],
      tables,
    );
    expect(unwritten).toEqual([
      { table: 'audit_log', createdIn: 'supabase/migrations/20240101_init.sql' },
      { table: 'contacts', createdIn: 'supabase/migrations/20240101_init.sql' },
    ]);
    expect([isArchived('supabase/migrations_archive/x.sql'), isArchived('db/old/x.sql'), isArchived('src/holdings/x.ts'), isArchived('supabase/migrations/x.sql')]).toEqual([true, true, false, false]);
  });
});

describe('a delete that violates a foreign key', () => {
  const init = [
    'create table prices (',
    '  id text primary key,',
    '  -- the product',
    '  product_id text references products,',
    '  active boolean',
    ');',
    'create table subscriptions (',
    '  id text primary key,',
    '  user_id uuid references auth.users not null,',
    '  price_id text references prices,',
    '  note_id int references notes on delete cascade,',
    '  constraint subscriptions_plan_fkey foreign key (plan) references plans (id) on delete set null',
    ');',
  ].join('\n');
  const files = [
    { path: 'schema.sql', content: init },
    { path: 'supabase/migrations/20230530034630_init.sql', content: init },
    { path: 'utils/supabase/admin.ts', content: "const deletePriceRecord = async (price) => {\n  const { error } = await supabaseAdmin\n    .from('prices')\n    .delete()\n    .eq('id', price.id);\n};" },
  ];

  it('reads inline and named keys with their ON DELETE action and line', () => {
    expect(foreignKeys(files).map((k) => `${k.name} ${k.table}.${k.column}->${k.parent} ${k.onDelete ?? '-'} ${k.nullable ? 'null' : 'not null'} :${k.line}`)).toEqual([
      'prices_product_id_fkey prices.product_id->products - null :4',
      'subscriptions_user_id_fkey subscriptions.user_id->auth.users - not null :9',
      'subscriptions_price_id_fkey subscriptions.price_id->prices - null :10',
      'subscriptions_note_id_fkey subscriptions.note_id->notes cascade null :11',
      'subscriptions_plan_fkey subscriptions.plan->plans set null null :12',
    ]);
  });

  it('names the key without an action and the code that deletes the parent row', () => {
    const [cause, ...rest] = deleteBlockedByKey(files, 'Stripe webhook price.deleted fails: update or delete on table "prices" violates foreign key constraint "subscriptions_price_id_fkey" on table "subscriptions".');
    expect(rest).toEqual([]);
    expect(cause!.evidence).toEqual(['supabase/migrations/20230530034630_init.sql:10: subscriptions.price_id references prices with no ON DELETE action', 'utils/supabase/admin.ts:3: deletes from prices']);
    expect(cause!.fixSql).toContain('foreign key (price_id) references prices on delete set null not valid');
    expect(deleteBlockedByKey(files, 'Prices page is slow')).toEqual([]);
  });
});

describe('type check coverage', () => {
  const options = { strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', skipLibCheck: true, types: [] };

  it('follows a Vite-style tsconfig that only has references, and reports a planted type error', async () => {
    const root = makeProject();
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ files: [], references: [{ path: './tsconfig.app.json' }, { path: './tsconfig.node.json' }] }));
    writeFileSync(join(root, 'tsconfig.app.json'), JSON.stringify({ compilerOptions: { ...options, composite: true }, include: ['src'] }));
    writeFileSync(join(root, 'tsconfig.node.json'), JSON.stringify({ compilerOptions: { ...options, composite: true }, include: ['vite.config.ts'] }));
    writeFileSync(join(root, 'src', 'total.ts'), 'export const total: number = "12";\n');
    writeFileSync(join(root, 'vite.config.ts'), 'export default {};\n');
    const r = await typeCheck(root);
    expect(r.files).toBe(2);
    expect(r.configs).toEqual(['tsconfig.app.json', 'tsconfig.node.json']);
    expect(r.diagnostics.map((d) => `${d.path}:${d.line} TS${d.code}`)).toEqual(['src/total.ts:1 TS2322']);
  });

  it('finds an app in a subfolder; without node_modules it reports no type error, only the install command', async () => {
    const root = makeProject();
    mkdirSync(join(root, 'nextjs', 'app'), { recursive: true });
    writeFileSync(join(root, 'pnpm-lock.yaml'), 'lockfileVersion: 9.0\n');
    writeFileSync(join(root, 'nextjs', 'tsconfig.json'), JSON.stringify({ compilerOptions: options, include: ['app'] }));
    writeFileSync(join(root, 'nextjs', 'app', 'page.ts'), "import { z } from 'zod';\nimport { y } from 'left-pad';\nexport const n: number = 'x';\nexport { z, y };\n");
    const r = await typeCheck(root);
    expect(r.configs).toEqual(['nextjs/tsconfig.json']);
    expect(r.files).toBe(1);
    // Without the packages, no error is the project's: none is reported, all are counted.
    expect(r.diagnostics).toEqual([]);
    expect(r.missingDependencies).toEqual({ errors: 3, install: 'pnpm install' });
  });
});

describe('test command', () => {
  it("is the project's test script by content, run with the lockfile's package manager", () => {
    const project = (scripts: Record<string, string>, lockfile?: string) => {
      const root = makeProject();
      writeFileSync(join(root, 'package.json'), JSON.stringify({ scripts }));
      if (lockfile) writeFileSync(join(root, lockfile), '');
      return testCommandFor(root, undefined);
    };
    expect(project({ test: 'vitest run' })).toBe('npm test --silent');
    expect(project({ 'test:unit': 'vitest run' }, 'pnpm-lock.yaml')).toBe('pnpm run test:unit');
    expect(project({ test: 'jest' }, 'yarn.lock')).toBe('yarn --silent test');
    expect(project({ test: 'echo "Error: no test specified" && exit 1', 'test:unit': 'vitest' })).toBe('npm run --silent test:unit');
    expect(project({ test: 'echo "Error: no test specified" && exit 1' })).toBeNull();
    expect(testCommandFor(makeProject(), 'make check')).toBe('make check');
  });
});
