import { describe, expect, it } from 'vitest';
import { statementEffects, touchedRowsQuery } from '../../agents/migrator/shadow.js';
import { diagnose, mustRunOutsideTransaction } from '../../agents/migrator/run-sql.js';
import { splitSql } from '../../agents/migrator/sql-split.js';

describe('row-estimate helpers', () => {
  it('names the table and effect of the statements that touch rows', () => {
    expect(statementEffects("update public.jobs set status = 'done' where id = $1")).toEqual([{ table: 'public.jobs', effect: 'update' }]);
    expect(statementEffects('delete from jobs where true')).toEqual([{ table: 'public.jobs', effect: 'delete' }]);
    expect(statementEffects('truncate a, b')).toEqual([{ table: 'public.a', effect: 'truncate' }, { table: 'public.b', effect: 'truncate' }]);
    expect(statementEffects('alter table jobs alter column title type varchar(10), alter column customer_id set not null, add constraint c check (x > 0) not valid')).toEqual([
      { table: 'public.jobs', effect: 'rewrite' },
      { table: 'public.jobs', effect: 'scan' },
    ]);
    expect(statementEffects('alter table jobs add column token uuid default gen_random_uuid()')).toEqual([{ table: 'public.jobs', effect: 'rewrite' }]);
    expect(statementEffects('create index concurrently i on jobs (a)')).toEqual([{ table: 'public.jobs', effect: 'index' }]);
    expect(statementEffects('alter table jobs add column notes text')).toEqual([]);
  });

  it('rewrites UPDATE and DELETE as the SELECT of the rows they touch', () => {
    expect(touchedRowsQuery("update public.jobs set notes = 'x' where status = 'done'")).toBe("select 1 from public.jobs where status = 'done'");
    expect(touchedRowsQuery("update jobs j set notes = c.name from customers c where c.id = j.customer_id returning j.id")).toBe('select 1 from jobs j, customers c where c.id = j.customer_id');
    expect(touchedRowsQuery("delete from jobs using customers c where c.id = jobs.customer_id and c.name = 'where'")).toBe("select 1 from jobs, customers c where c.id = jobs.customer_id and c.name = 'where'");
    expect(touchedRowsQuery('delete from jobs')).toBe('select 1 from jobs');
    expect(touchedRowsQuery('insert into jobs values (1)')).toBeNull();
  });
});

describe('diagnoses', () => {
  const [st] = splitSql('\n\nselect 1,\n  nosuch from t');
  it('points at the line of the error position inside the statement', () => {
    expect(diagnose('m.sql', st!, { message: 'column "nosuch" does not exist', code: '42703', position: '13' })).toEqual({ file: 'm.sql', line: 4, statement: 'select 1,', reason: 'column "nosuch" does not exist', cause: 'sql-error', code: '42703' });
  });
  it('explains extensions the shadow lacks and failures that follow an earlier one', () => {
    const ext = diagnose('m.sql', st!, { message: 'extension "pg_net" is not available', code: '0A000' });
    expect(ext).toMatchObject({ line: 3, cause: 'shadow-limitation', reason: expect.stringContaining('has no pg_net extension') });
    // What needs the missing extension is skipped with a note, not an error.
    expect(diagnose('m.sql', st!, { message: 'schema "net" does not exist', code: '3F000' }, ext)).toMatchObject({ cause: 'shadow-limitation', extension: 'pg_net', reason: expect.stringContaining('depends on the pg_net extension the shadow database lacks (m.sql:3); not checked') });
    const failed = diagnose('m.sql', st!, { message: 'syntax error at or near "tabel"', code: '42601' });
    expect(diagnose('m.sql', st!, { message: 'relation "t" does not exist', code: '42P01' }, failed)).toMatchObject({ cause: 'follows-earlier-failure', reason: 'relation "t" does not exist (probably because m.sql:3 failed)' });
  });
  it('knows which files must run outside a transaction', () => {
    expect(mustRunOutsideTransaction('create index concurrently if not exists i on t (a);\n')).toBe(true);
    expect(mustRunOutsideTransaction("set lock_timeout = '5s';\ncreate index concurrently i on t (a);")).toBe(false);
    expect(mustRunOutsideTransaction('create index i on t (a);')).toBe(false);
  });
});
