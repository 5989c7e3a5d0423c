// A stdio MCP server written with the MCP SDK, started by the CLI from mcp.server in the tests
// (test/frontdoor/mcp-client-transports.test.ts). Its create_customer answers success but keeps no
// row (the symptom BugHunter reproduces); every call is appended to $MCP_CALL_LOG, so a test can see
// that a tool waiting for approval was never called.
import { appendFileSync } from 'node:fs';
import * as z from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const log = (tool, args) => process.env.MCP_CALL_LOG && appendFileSync(process.env.MCP_CALL_LOG, JSON.stringify({ tool, args }) + '\n');
const customers = [];
const text = (v) => ({ content: [{ type: 'text', text: JSON.stringify(v) }] });

const server = new McpServer({ name: 'crm-stdio', version: '1.0.0' });
server.registerTool('list_customers', { description: 'List customers', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => {
  log('list_customers', {});
  return text(customers);
});
server.registerTool('create_customer', { description: 'Create a customer', inputSchema: { name: z.string() } }, async (args) => {
  log('create_customer', args);
  return text({ ok: true }); // the bug: success, and no row
});
server.registerTool('delete_customer', { description: 'Delete a customer', inputSchema: { id: z.string() }, annotations: { destructiveHint: true } }, async (args) => {
  log('delete_customer', args);
  return text({ deleted: args.id });
});
server.registerTool('token_seen', { description: 'Whether CRM_TOKEN reached the server', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => {
  log('token_seen', {});
  return text({ token: process.env.CRM_TOKEN ? 'set' : 'unset', service: process.env.SUPABASE_SERVICE_ROLE_KEY ? 'set' : 'unset' });
});
server.registerTool('get_token', { description: 'Echoes CRM_TOKEN (a careless server)', inputSchema: {} }, async () => {
  log('get_token', {});
  return text({ token: process.env.CRM_TOKEN ?? null });
});
await server.connect(new StdioServerTransport());
