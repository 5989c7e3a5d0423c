// Credentials come from the environment and the project's .env (the environment wins).
// Values are handed only to the integrations that need them; everything else sees names.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerSecretsFrom } from './redact.js';

export const CREDENTIALS = [
  'SUPABASE_URL',
  'SUPABASE_SERVICE_ROLE_KEY',
  'DATABASE_URL',
  'RESEND_API_KEY',
  'ANTHROPIC_API_KEY',
  'MCP_SERVER_URL',
] as const;
export type CredentialName = (typeof CREDENTIALS)[number] | 'NEXT_PUBLIC_SUPABASE_URL' | 'RESEND_BASE_URL' | 'ANTHROPIC_BASE_URL';

export interface Secrets {
  get(name: CredentialName): string | undefined;
  has(name: CredentialName): boolean;
  /** Where a credential came from, for `agent health`: 'env', '.env' or null. */
  source(name: CredentialName): 'env' | '.env' | null;
}

export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote!) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n');
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    out[m[1]!] = value;
  }
  return out;
}

export function loadSecrets(root: string | null, env: NodeJS.ProcessEnv = process.env): Secrets {
  registerSecretsFrom(env);
  let file: Record<string, string> = {};
  const path = root ? join(root, '.env') : null;
  if (path && existsSync(path)) {
    file = parseDotEnv(readFileSync(path, 'utf8'));
    registerSecretsFrom(file);
  }
  const lookup = (name: string) => {
    if (env[name]) return { value: env[name], source: 'env' as const };
    if (file[name]) return { value: file[name], source: '.env' as const };
    // The seed's projects name the URL the Next.js way.
    if (name === 'SUPABASE_URL') return lookup('NEXT_PUBLIC_SUPABASE_URL');
    return null;
  };
  return {
    get: (name) => lookup(name)?.value,
    has: (name) => lookup(name) !== null,
    source: (name) => lookup(name)?.source ?? null,
  };
}
