// A scripted Messages API on 127.0.0.1 for the real SDK (ANTHROPIC_BASE_URL): a "brain" function
// sees each request body and answers with a reply, an HTTP error or a garbled body. Usage is
// counted the way the API reports it (bytes / 4 as the token estimate), with prompt caching the way
// the API does it: a prefix ending at a cache_control block is written to the cache; a later
// request whose bytes start with a cached prefix reads it (the longest one, found at any block
// boundary before its last breakpoint), and writes what its own breakpoints add beyond it.
// Prefixes shorter than `minCacheTokens` are not cached (the API's minimum: 1,024 tokens for
// Sonnet; 0 by default, so that the small test prompts cache). Plain .mjs: the tests and
// bench/llm.mjs share it.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

const tokens = (s) => Math.ceil(Buffer.byteLength(s) / 4);
const hash = (s) => createHash('sha256').update(s).digest('hex');

/**
 * Every block boundary of a request up to its last breakpoint, in order: after the tools, after
 * the system prompt, after each message block; each with the key of the prefix it ends (its bytes
 * without the cache_control marks, which do not change what is cached), its tokens, and whether it
 * is marked. Text content given as a string counts as one text block.
 */
function boundaries(body) {
  const strip = (b) => {
    const { cache_control: _c, ...rest } = b;
    return rest;
  };
  const marked = (b) => Boolean(b?.cache_control);
  const out = [];
  const system = body.system ?? [];
  const tools = body.tools ?? [];
  // The system/tools prefix is counted as before: its own JSON.
  const head = JSON.stringify({ system, tools });
  out.push({ key: hash(head), tokens: tokens(head), marked: system.some?.(marked) || tools.some(marked) });
  const msgs = (body.messages ?? []).map((m) => ({ role: m.role, content: typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content }));
  const done = [];
  msgs.forEach((m, i) => {
    const blocks = [];
    m.content.forEach((b) => {
      blocks.push(strip(b));
      const text = JSON.stringify({ system, tools, messages: [...done, { role: m.role, content: blocks }] });
      out.push({ key: hash(text), tokens: tokens(text), marked: marked(body.messages[i].content?.[blocks.length - 1]) });
    });
    done.push({ role: m.role, content: [...blocks] });
  });
  const last = out.findLastIndex((b) => b.marked);
  return out.slice(0, last + 1);
}

export function reply(content, stop_reason = content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn') {
  return { content, stop_reason };
}

let ids = 0;
export const toolUse = (name, input) => ({ type: 'tool_use', id: `toolu_${String(++ids).padStart(4, '0')}`, name, input });
export const text = (t) => ({ type: 'text', text: t });

/** The number of assistant turns so far: the brain's step. */
export const step = (body) => body.messages.filter((m) => m.role === 'assistant').length;

/** All tool_result texts of the last user message, joined. */
export function lastResults(body) {
  const last = body.messages.at(-1);
  return Array.isArray(last?.content) ? last.content.filter((b) => b.type === 'tool_result').map((b) => (typeof b.content === 'string' ? b.content : JSON.stringify(b.content))).join('\n') : '';
}

export async function startScriptedServer(brain, opts = {}) {
  const minCacheTokens = opts.minCacheTokens ?? 0;
  const requests = [];
  const cached = new Set();
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', async () => {
      let body = null;
      try {
        body = JSON.parse(raw);
      } catch {
        /* recorded as raw */
      }
      const index = requests.length;
      requests.push({ method: req.method, path: req.url, headers: req.headers, raw, body });
      let answer;
      try {
        answer = (await brain(body, index)) ?? { status: 500, body: { type: 'error', error: { type: 'api_error', message: 'script ended' } } };
      } catch (err) {
        // A script that breaks answers at once (not retried) instead of leaving the client waiting.
        answer = { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: `the script failed: ${err.message}` } } };
      }
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
      if (answer.status && answer.status !== 200) {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body ?? { type: 'error', error: { type: answer.status === 429 ? 'rate_limit_error' : answer.status === 529 ? 'overloaded_error' : 'api_error', message: `scripted ${answer.status}` } }));
        return;
      }
      if (typeof answer.raw === 'string') {
        res.writeHead(200, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.raw);
        return;
      }
      const all = tokens(JSON.stringify({ system: body.system, tools: body.tools, messages: body.messages }));
      const bounds = boundaries(body);
      const hit = bounds.findLast((b) => cached.has(b.key));
      const read = hit?.tokens ?? 0;
      let written = read;
      for (const b of bounds) {
        if (!b.marked || b.tokens <= read || b.tokens < minCacheTokens) continue;
        cached.add(b.key);
        written = Math.max(written, b.tokens);
      }
      const usage = {
        input_tokens: Math.max(0, all - written),
        output_tokens: tokens(JSON.stringify(answer.content)),
        cache_creation_input_tokens: written - read,
        cache_read_input_tokens: read,
        ...answer.usage,
      };
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${index}` });
      res.end(JSON.stringify({ id: `msg_${index}`, type: 'message', role: 'assistant', model: body.model, content: answer.content, stop_reason: answer.stop_reason, stop_sequence: null, usage }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

// ---- example 4.1 played by a scripted model: it searches, reads the test run and the schema
// lints, then reports the causes citing the lines the tools returned. ----

export function example41Brain(body) {
  const s = step(body);
  if (s === 0) {
    return reply([
      text('I will look for where the estimate is saved, the failing test and the schema.'),
      toolUse('search', { query: 'create_estimate_record' }),
      toolUse('run_tests', {}),
      toolUse('schema_findings', {}),
      toolUse('search', { query: 'create table (public\\.)?estimates', regex: true }),
    ]);
  }
  if (s === 1) {
    const out = lastResults(body);
    const use = /^(lib\/[^\s:]+):(\d+): .*create_estimate_record/m.exec(out);
    const failing = /^(\S+:\d+): test "([^"]*persists[^"]*)" fails/m.exec(out);
    const fks = [...out.matchAll(/^(\S+:\d+): \[missing-foreign-key\] (public\.[a-z_]+\.[a-z_]+):/gm)];
    const created = /^(\S+_create_estimates\.sql:\d+): /m.exec(out);
    const calls = [];
    if (use) {
      calls.push(toolUse('report_root_cause', {
        fix: 'mcp-tool',
        subject: 'create_estimate_record',
        summary: 'the voice agent calls an MCP tool that no server defines, so the estimate is never inserted',
        evidence: [`${use[1]}:${use[2]}: calls create_estimate_record`, ...(failing ? [`${failing[1]}: test "${failing[2]}" fails`] : [])],
      }));
    }
    if (created) {
      calls.push(toolUse('report_root_cause', {
        fix: 'api-route',
        subject: 'estimates',
        summary: 'no API route or tool inserts into estimates',
        evidence: [`${created[1]}: creates estimates; nothing inserts into it`],
      }));
    }
    for (const m of fks) calls.push(toolUse('report_root_cause', { fix: 'foreign-key', subject: m[2], summary: `${m[2]} has no foreign key`, evidence: [`${m[1]}: missing foreign key`] }));
    return reply([text('Reporting the causes.'), ...calls]);
  }
  return reply([text('The voice agent calls create_estimate_record, which no MCP server defines; estimates also lack foreign keys.')]);
}

// ---- several agents against one server: each conversation is told apart by its system prompt ----

/** "BugHunter", "CodeSmith", "Migrator": the agent a request comes from. */
export const agentOf = (body) => /^You are (?:the )?([A-Za-z]+)/.exec(body?.system?.[0]?.text ?? '')?.[1] ?? null;

/** Routes each request to its agent's brain; an agent without one gets a 400 (a refused call). */
export function byAgent(brains) {
  return (body, index) => {
    const brain = brains[agentOf(body)];
    if (brain) return brain(body, index);
    return { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: `no script for agent ${agentOf(body)}` } } };
  };
}

/** The tool results that answered assistant turn k (0-based), in call order, unwrapped. */
export function resultsOf(body, k) {
  const m = body.messages[2 + 2 * k];
  if (!m || !Array.isArray(m.content)) return [];
  return m.content
    .filter((b) => b.type === 'tool_result')
    .map((b) => {
      const raw = typeof b.content === 'string' ? b.content : JSON.stringify(b.content);
      const w = /^<tool_output source="([^"]*)">\n([\s\S]*)\n<\/tool_output>$/.exec(raw);
      return { source: w?.[1] ?? null, text: w ? w[2] : raw, isError: Boolean(b.is_error) };
    });
}

/** The first user message's text, sent as a string or as text blocks. */
export const firstText = (body) => {
  const c = body.messages[0]?.content;
  return typeof c === 'string' ? c : Array.isArray(c) ? c.filter((b) => b.type === 'text').map((b) => b.text).join('\n') : '';
};
/** Strips read_file's "N| " line numbers and its header line. */
const unnumber = (text) => text.split('\n').slice(1).map((l) => l.replace(/^\d+\| /, '')).join('\n');

const VALIDATOR = { uuid: 'uuid', integer: 'integer', bigint: 'integer', smallint: 'integer', numeric: 'number', real: 'number', 'double precision': 'number', text: 'string', 'character varying': 'string', jsonb: 'array', 'timestamp with time zone': 'date', date: 'date' };
const JSON_TYPE = { uuid: ['string', 'uuid'], integer: ['integer'], number: ['number'], string: ['string'], array: ['array'], date: ['string', 'date-time'] };
const SAMPLE = { uuid: 'crypto.randomUUID()', integer: '1000', number: '12.5', string: "'sample'", array: '[]', date: 'new Date().toISOString()' };

/** `  name type not null default x` lines of table_columns -> the fields a writer takes. */
function fieldsFrom(columnsText) {
  return columnsText
    .split('\n')
    .slice(1)
    .map((l) => /^\s+([a-z_][a-z0-9_]*) (.+?)( not null)?( default .*)?$/.exec(l))
    .filter(Boolean)
    .filter((m) => m[1] !== 'id' && m[1] !== 'created_at' && VALIDATOR[m[2]])
    .map((m) => ({ name: m[1], type: VALIDATOR[m[2]], required: Boolean(m[3]) && !m[4] }));
}

/**
 * CodeSmith for example 4.1, played from what its tools return: it finds the tools file of the
 * table's entity, the columns, a sibling route and a sibling test; adds the tool to the tools file,
 * writes the endpoint and its test, type-checks and finishes. Variants make it err the way a model
 * can: `breakType` calls a method the db layer lacks (a type error), `breakTests` registers the
 * tools file a second time (type-checks, breaks a test that passed before). `before`: turns played
 * first (hostile ones), the script then goes on as if they had not happened.
 */
export function codeSmith41Brain(opts = {}) {
  const before = opts.before ?? [];
  return (body) => {
    const s = step(body) - before.length;
    if (s < 0) return reply(before[step(body)]);
    const k = (n) => resultsOf(body, before.length + n);
    const first = firstText(body);
    const tool = /mcp-tool ([a-z0-9_]+):/.exec(first)?.[1];
    const table = /it writes public\.([a-z0-9_]+)/.exec(first)?.[1] ?? /api-route ([a-z0-9_]+):/.exec(first)?.[1];
    const routeTable = /api-route ([a-z0-9_]+):/.exec(first)?.[1];
    const routeSibling = /route handlers like (\S+?\.ts)/.exec(first)?.[1];
    const testSibling = /tested like (\S+?\.ts)/.exec(first)?.[1];
    const registry = /registered in (\S+?\.ts)/.exec(first)?.[1];
    if (s === 0) {
      return reply([
        text('I will find where the tools live, the columns, and a sibling route and test.'),
        toolUse('search', { query: 'export const \\w+Tools', regex: true }),
        toolUse('table_columns', { table }),
        toolUse('read_file', { path: routeSibling }),
        toolUse('read_file', { path: testSibling }),
        toolUse('read_file', { path: registry }),
      ]);
    }
    const [hits, columns] = k(0);
    const entity = table.replace(/ies$/, 'y').replace(/s$/, '');
    const toolsFile = hits.text.split('\n').map((l) => /^([^:]+):\d+:/.exec(l)?.[1]).find((p) => p && p.includes(`${entity}_`));
    if (s === 1) return reply([toolUse('read_file', { path: toolsFile })]);
    if (s === 2) {
      const [, , route, test, reg] = k(0);
      const [tools] = k(1);
      const fields = fieldsFrom(columns.text);
      const shape = fields.map((f) => `${f.name}: { type: '${f.type}'${f.required ? ', required: true' : ''} }`).join(', ');
      const props = fields.map((f) => `${f.name}: { type: '${JSON_TYPE[f.type][0]}'${JSON_TYPE[f.type][1] ? `, format: '${JSON_TYPE[f.type][1]}'` : ''} }`).join(', ');
      const required = fields.filter((f) => f.required).map((f) => `'${f.name}'`).join(', ');
      const write = opts.breakType ? 'create' : 'insert';
      const toolObject = [
        '  {',
        `    name: '${tool}',`,
        `    description: 'Store a new ${entity} record.',`,
        `    inputSchema: { type: 'object', properties: { ${props} }, required: [${required}] },`,
        '    async handler(args, { db }) {',
        `      const input = validate(args, { ${shape} });`,
        "      if (!input.ok) throw new Error(input.errors.join('; '));",
        `      const { data, error } = await db.from('${table}').${write}(input.value);`,
        '      if (error) throw new Error(error.message);',
        `      return { ${entity}: data };`,
        '    },',
        '  },',
      ].join('\n');
      const current = unnumber(tools.text);
      const close = current.lastIndexOf('\n];');
      const old = current.slice(current.lastIndexOf('\n', close - 1) + 1, close + 3);
      const calls = [toolUse('edit_file', { path: toolsFile, old, new: `${old.slice(0, -3)}\n${toolObject}\n];`, reason: `adds the MCP tool ${tool} the voice agent calls` })];
      if (routeTable) {
        const imports = unnumber(route.text).split('\n').filter((l) => /^import /.test(l)).join('\n');
        const testImports = unnumber(test.text).split('\n').filter((l) => /^import /.test(l)).join('\n');
        const sample = fields.filter((f) => f.required).map((f) => `${f.name}: ${SAMPLE[f.type]}`).join(', ');
        const dir = `${routeSibling.split('/').slice(0, -2).join('/')}/${routeTable}`;
        calls.push(
          toolUse('write_file', {
            path: `${dir}/route.ts`,
            reason: `the API endpoint for ${routeTable} (GET lists, POST inserts)`,
            content: `${imports}\n\nexport async function GET(): Promise<Response> {\n  const { data, error } = await getDb().from('${routeTable}').select();\n  if (error) return serverError(error.message);\n  return json({ ${routeTable}: data });\n}\n\nexport async function POST(req: Request): Promise<Response> {\n  const input = validate(await readJson(req), { ${shape} });\n  if (!input.ok) return badRequest(input.errors);\n  const { data, error } = await getDb().from('${routeTable}').insert(input.value);\n  if (error) return serverError(error.message);\n  return json({ ${entity}: data }, 201);\n}\n`,
          }),
          toolUse('write_file', {
            path: `${dir}/route.test.ts`,
            reason: `tests /api/${routeTable}`,
            content: `${testImports}\n\nconst post = (body: unknown) => POST(new Request('http://localhost/api/${routeTable}', { method: 'POST', body: JSON.stringify(body) }));\n\ndescribe('/api/${routeTable}', () => {\n  beforeEach(() => setDb(createMemoryDb()));\n\n  it('creates and lists ${routeTable}', async () => {\n    const created = await post({ ${sample} });\n    expect(created.status).toBe(201);\n    const list = await (await GET()).json();\n    expect(list.${routeTable}).toHaveLength(1);\n  });\n\n  it('answers 400 without the required fields', async () => {\n    expect((await post({})).status).toBe(400);\n  });\n});\n`,
          }),
        );
      }
      if (opts.breakTests) {
        const line = unnumber(reg.text).split('\n').find((l) => /^export const tools\b.*\]/.test(l));
        const last = /\.\.\.(\w+)\]/.exec(line)[1];
        calls.push(toolUse('edit_file', { path: registry, old: line, new: line.replace(/\](?=;?\s*$)/, `, ...${last}]`), reason: `registers ${last}` }));
      }
      calls.push(toolUse('type_check', {}));
      return reply([text('Writing the tool, the endpoint and its test.'), ...calls]);
    }
    if (s === 3) return reply([toolUse('finish', { summary: `Adds ${tool} and the ${routeTable ?? table} endpoint with tests.` })]);
    return reply([text(`Added ${tool}${routeTable ? ` and /api/${routeTable}` : ''}.`)]);
  };
}

/**
 * The Migrator for example 4.1: reads the schema findings, writes one migration adding each missing
 * key (NOT VALID, VALIDATE, a covering index) and the rollback, and proposes it. `badRollback`: the
 * rollback forgets the indexes; with `fixAfterReject` it proposes again, corrected, when rejected.
 */
export function migrator41Brain(opts = {}) {
  const before = opts.before ?? [];
  return (body) => {
    const s = step(body) - before.length;
    if (s < 0) return reply(before[step(body)]);
    if (s === 0) return reply([text('Reading the schema findings.'), toolUse('schema_findings', {}), toolUse('list_migrations', {})]);
    const [findings] = resultsOf(body, before.length);
    const keys = [...findings.text.matchAll(/\[missing-foreign-key\] (public\.([a-z0-9_]+)\.([a-z0-9_]+)): [\s\S]*?\n {2}fix: .*?references ([a-z0-9_."]+) \("?([a-z0-9_]+)"?\)/g)].map((m) => ({ subject: m[1], table: m[2], column: m[3], target: m[4], refColumn: m[5] }));
    const tables = [...new Set(keys.map((x) => x.table))];
    const up = ["set lock_timeout = '5s';", ...keys.flatMap((x) => [`alter table public.${x.table} add constraint ${x.table}_${x.column}_fkey foreign key (${x.column}) references ${x.target} (${x.refColumn}) not valid;`, `alter table public.${x.table} validate constraint ${x.table}_${x.column}_fkey;`, `create index if not exists ${x.table}_${x.column}_idx on public.${x.table} (${x.column});`])].join('\n');
    const down = (withIndexes) => [...keys].reverse().flatMap((x) => [...(withIndexes ? [`drop index if exists public.${x.table}_${x.column}_idx;`] : []), `alter table public.${x.table} drop constraint if exists ${x.table}_${x.column}_fkey;`]).join('\n');
    const name = `link_${tables.join('_')}_to_${keys.map((x) => x.target.replace(/^public\./, '')).join('_and_')}`;
    const propose = (withIndexes) => toolUse('propose_migration', { name, summary: `adds the foreign keys ${keys.map((x) => x.subject).join(', ')} with covering indexes`, up, down: down(withIndexes) });
    if (s === 1) return reply([text('Proposing the migration.'), propose(!opts.badRollback)]);
    const [last] = resultsOf(body, before.length + s - 1);
    if (s === 2 && last.isError && opts.fixAfterReject) return reply([text('The rollback missed the indexes; proposing again.'), propose(true)]);
    return reply([text(last.isError ? 'My proposal was rejected.' : 'The migration is accepted.')]);
  };
}

/** Example 4.1 with all three agents scripted. */
export const example41AllBrain = byAgent({ BugHunter: example41Brain, CodeSmith: codeSmith41Brain(), Migrator: migrator41Brain() });
