import { describe, expect, it } from 'vitest';
import { splitSql } from '../../agents/migrator/sql-split.js';
import { maskSql, normalizeStatement } from '../../agents/migrator/sql-mask.js';

describe('splitSql', () => {
  it('splits on semicolons and reports the line each statement starts on', () => {
    const sql = 'create table a (id int);\n\n-- a comment; not a statement\ncreate table b (\n  id int\n);\ninsert into a values (1)';
    const st = splitSql(sql);
    expect(st.map((s) => [s.line, s.sql])).toEqual([
      [1, 'create table a (id int)'],
      [4, 'create table b (\n  id int\n)'],
      [7, 'insert into a values (1)'],
    ]);
    expect(st[1]?.endLine).toBe(6);
  });

  it('keeps semicolons inside strings, E-strings, quoted identifiers and comments', () => {
    const sql = `insert into t values ('a;b', 'it''s;', E'x\\';y');\nselect "we;ird" from t /* c; /* nested; */ still; */;\nselect 2`;
    const st = splitSql(sql);
    expect(st).toHaveLength(3);
    expect(st[0]?.sql).toBe(`insert into t values ('a;b', 'it''s;', E'x\\';y')`);
    expect(st[1]?.sql).toContain('still; */');
    expect(st[2]).toMatchObject({ sql: 'select 2', line: 3 });
  });

  it('keeps dollar-quoted bodies whole, with or without a tag', () => {
    const sql = `create function f() returns trigger language plpgsql as $$\nbegin\n  update x set a = 1;\n  return new;\nend;\n$$;\ndo $body$ begin perform 1; end $body$;\nselect $1`;
    const st = splitSql(sql);
    expect(st.map((s) => s.line)).toEqual([1, 7, 8]);
    expect(st[0]?.sql.endsWith('$$')).toBe(true);
    expect(st[2]?.sql).toBe('select $1');
  });

  it('keeps SQL-standard function bodies (BEGIN ATOMIC … END) whole', () => {
    const sql = `create function g(a int) returns int language sql begin atomic\n  select case when a > 0 then 1 else 0 end;\n  select 2;\nend;\nselect 3;`;
    const st = splitSql(sql);
    expect(st).toHaveLength(2);
    expect(st[0]?.sql).toMatch(/end$/);
    expect(st[1]).toMatchObject({ sql: 'select 3', line: 5 });
  });

  it('drops leading comments and empty statements, keeps a last statement without semicolon', () => {
    const st = splitSql('-- header\n/* block */\n;;\n  select 1 -- trailing\n');
    expect(st).toEqual([{ sql: 'select 1 -- trailing', line: 4, endLine: 4, start: 27, end: 47 }]);
    expect(splitSql('-- only a comment')).toEqual([]);
  });
});

describe('maskSql and normalizeStatement', () => {
  it('masks comments and literal contents but keeps length and line breaks', () => {
    const sql = "select 'drop table x' -- drop table y\n, $$ drop table z $$";
    const masked = maskSql(sql);
    expect(masked).toHaveLength(sql.length);
    expect(masked).not.toMatch(/drop/);
    expect(masked.split('\n')).toHaveLength(2);
  });
  it('normalizes whitespace and comments for comparison', () => {
    expect(normalizeStatement('create  table\n  x (id int) -- note\n;')).toBe('create table x (id int)');
  });
});
