// A scripted Messages API on 127.0.0.1 for the real SDK (ANTHROPIC_BASE_URL): a "brain" function
// sees each request body and answers with a reply, an HTTP error or a garbled body. Usage is
// counted the way the API reports it (bytes / 4 as the token estimate), with prompt caching of the
// prefix up to the last cache_control block. Plain .mjs: the tests and bench/llm.mjs share it.
import { createServer } from 'node:http';

const tokens = (s) => Math.ceil(Buffer.byteLength(s) / 4);

/** Tokens of the cacheable prefix (system + tools), when the request marks it. */
function prefixOf(body) {
  const marked = (body.system ?? []).some?.((b) => b.cache_control) || (body.tools ?? []).some((t) => t.cache_control);
  return marked ? JSON.stringify({ system: body.system, tools: body.tools }) : null;
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

export async function startScriptedServer(brain) {
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
      const answer = (await brain(body, index)) ?? { status: 500, body: { type: 'error', error: { type: 'api_error', message: 'script ended' } } };
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
      const prefix = prefixOf(body);
      const all = tokens(JSON.stringify({ system: body.system, tools: body.tools, messages: body.messages }));
      const prefixTokens = prefix ? tokens(prefix) : 0;
      const hit = prefix !== null && cached.has(prefix);
      if (prefix) cached.add(prefix);
      const usage = {
        input_tokens: all - prefixTokens,
        output_tokens: tokens(JSON.stringify(answer.content)),
        cache_creation_input_tokens: prefix && !hit ? prefixTokens : 0,
        cache_read_input_tokens: hit ? prefixTokens : 0,
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
