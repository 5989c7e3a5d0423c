import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryDb, setDb } from '../../../lib/db';
import { GET, POST } from './route';

const post = (body: unknown) => POST(new Request('http://localhost/api/customers', { method: 'POST', body: JSON.stringify(body) }));

describe('/api/customers', () => {
  beforeEach(() => setDb(createMemoryDb()));

  it('creates and lists customers', async () => {
    const created = await post({ name: 'Ada Lovelace', email: 'ada@example.com' });
    expect(created.status).toBe(201);
    const list = await (await GET()).json();
    expect(list.customers).toHaveLength(1);
    expect(list.customers[0].name).toBe('Ada Lovelace');
  });

  it('answers 400 with the problems', async () => {
    const res = await post({ email: 'not-an-email' });
    expect(res.status).toBe(400);
    expect((await res.json()).details).toEqual(['name is required', 'email must be an email address']);
  });
});
