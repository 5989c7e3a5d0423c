// Request validation shared by the route handlers and the MCP tools.
export type FieldType = 'string' | 'email' | 'uuid' | 'number' | 'integer' | 'date' | 'array';

export interface FieldSpec {
  type: FieldType;
  required?: boolean;
}

export type Shape = Record<string, FieldSpec>;

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: string[] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function check(name: string, value: unknown, spec: FieldSpec): string | null {
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' && value.trim() !== '' ? null : `${name} must be a non-empty string`;
    case 'email':
      return typeof value === 'string' && EMAIL.test(value) ? null : `${name} must be an email address`;
    case 'uuid':
      return typeof value === 'string' && UUID.test(value) ? null : `${name} must be a UUID`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : `${name} must be a number`;
    case 'integer':
      return Number.isInteger(value) ? null : `${name} must be a whole number`;
    case 'date':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? null : `${name} must be an ISO date`;
    case 'array':
      return Array.isArray(value) ? null : `${name} must be a list`;
  }
}

export function validate<T = Record<string, unknown>>(input: unknown, shape: Shape): Validated<T> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, errors: ['body must be a JSON object'] };
  const body = input as Record<string, unknown>;
  const errors: string[] = [];
  const value: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(shape)) {
    const v = body[name];
    if (v === undefined || v === null) {
      if (spec.required) errors.push(`${name} is required`);
      continue;
    }
    const problem = check(name, v, spec);
    if (problem) errors.push(problem);
    else value[name] = v;
  }
  return errors.length ? { ok: false, errors } : { ok: true, value: value as T };
}
