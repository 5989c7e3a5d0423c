// The one redaction chokepoint. Every byte that leaves the process (terminal, NDJSON, events,
// audit, staged files, emails, model prompts) passes through redact() first.

const SECRET_NAME = /(KEY|SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|DATABASE_URL|DSN)/i;
/** Shapes that are secrets wherever they appear, even when no variable names them. */
const SECRET_SHAPES: Array<[RegExp, string]> = [
  [/sk-ant-[A-Za-z0-9_-]{8,}/g, '[redacted:anthropic-key]'],
  [/\bre_[A-Za-z0-9]{8,}_[A-Za-z0-9]{8,}/g, '[redacted:resend-key]'],
  [/\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g, '[redacted:jwt]'],
  // No \b before the scheme: text glued to it (`jobpostgres://u:pw@`) must not shield the password.
  [/(postgres(?:ql)?:\/\/[^:\s/@]+:)([^@\s]+)@/g, '$1[redacted]@'],
];
const MIN_SECRET_LENGTH = 6;
/** What redact() puts in a secret's place. */
const MARKER = /\[redacted(?::[^\]]*)?\]/g;

const known = new Map<string, string>(); // value -> name
let ordered: Array<[string, string]> = [];

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export function registerSecret(name: string, value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  if (known.get(value) === name) return;
  known.set(value, name);
  // A database URL's password is a secret on its own, wherever it shows up.
  const pw = /^[a-z]+:\/\/[^:/@]+:([^@]+)@/i.exec(value)?.[1];
  if (pw && pw.length >= 4) known.set(decodeURIComponentSafe(pw), `${name} password`);
  ordered = [...known.entries()].sort((a, b) => b[0].length - a[0].length);
}

/** Registers every secret-looking variable of an environment (process.env, a parsed .env). */
export function registerSecretsFrom(env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(env)) {
    if (isSecretName(name)) registerSecret(name, value);
  }
}

export function redact(text: string): string {
  let out = text;
  for (const [value, name] of ordered) {
    if (out.includes(value)) out = out.split(value).join(`[redacted:${name}]`);
  }
  for (const [re, replacement] of SECRET_SHAPES) out = out.replace(re, replacement);
  return out;
}

/**
 * Redacts, then clips to `max` characters (ellipsis included). Clipping first would cut a secret
 * in two and leave a prefix that no longer matches its value or shape; clipping the redacted text
 * never splits a `[redacted:…]` marker either: a marker the edge would cut goes whole.
 */
export function redactClip(text: string, max: number, ellipsis = '...'): string {
  const full = redact(text);
  if (full.length <= max) return full;
  let end = Math.max(0, max - ellipsis.length);
  for (const m of full.matchAll(MARKER)) {
    if (m.index >= end) break;
    if (m.index + m[0].length > end) end = m.index; // the edge falls inside this marker
  }
  return full.slice(0, end).trimEnd() + ellipsis;
}

/** Redacts every string inside a JSON-like value. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}

export function clearSecretsForTests(): void {
  known.clear();
  ordered = [];
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
