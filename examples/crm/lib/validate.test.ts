import { describe, expect, it } from 'vitest';
import { validate } from './validate';

describe('validate', () => {
  it('accepts a well-formed body and drops unknown fields', () => {
    const r = validate({ name: 'Ada', email: 'ada@example.com', extra: 1 }, { name: { type: 'string', required: true }, email: { type: 'email' } });
    expect(r).toEqual({ ok: true, value: { name: 'Ada', email: 'ada@example.com' } });
  });

  it('lists every problem', () => {
    const r = validate({ email: 'nope', amount: 1.5 }, { name: { type: 'string', required: true }, email: { type: 'email' }, amount: { type: 'integer' } });
    expect(r).toEqual({ ok: false, errors: ['name is required', 'email must be an email address', 'amount must be a whole number'] });
  });

  it('rejects a body that is not an object', () => {
    expect(validate([], {})).toEqual({ ok: false, errors: ['body must be a JSON object'] });
  });
});
