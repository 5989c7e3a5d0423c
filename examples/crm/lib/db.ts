// The data-access layer: a Supabase-shaped table API. Production wires it to supabase-js;
// tests and local runs use the in-memory store below.
export type Row = Record<string, unknown> & { id: string };
export type Result<T> = { data: T; error: null } | { data: null; error: { message: string } };

export interface Table {
  insert(row: object): Promise<Result<Row>>;
  select(match?: Record<string, unknown>): Promise<Result<Row[]>>;
  update(id: string, patch: Record<string, unknown>): Promise<Result<Row>>;
}

export interface Db {
  from(table: string): Table;
}

export function createMemoryDb(): Db {
  const tables = new Map<string, Row[]>();
  const rows = (name: string) => {
    if (!tables.has(name)) tables.set(name, []);
    return tables.get(name)!;
  };
  return {
    from(name) {
      return {
        async insert(row) {
          const stored: Row = { id: crypto.randomUUID(), created_at: new Date().toISOString(), ...row };
          rows(name).push(stored);
          return { data: stored, error: null };
        },
        async select(match = {}) {
          const found = rows(name).filter((r) => Object.entries(match).every(([k, v]) => r[k] === v));
          return { data: found, error: null };
        },
        async update(id, patch) {
          const row = rows(name).find((r) => r.id === id);
          if (!row) return { data: null, error: { message: `${name} ${id} not found` } };
          Object.assign(row, patch);
          return { data: row, error: null };
        },
      };
    },
  };
}

let current: Db = createMemoryDb();

export function getDb(): Db {
  return current;
}

export function setDb(db: Db): void {
  current = db;
}
