export interface RecordedRequest {
  method: string | undefined;
  path: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  body: any;
}
export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  raw?: string;
  content?: any[];
  stop_reason?: string;
  usage?: Record<string, number>;
  delayMs?: number;
}
export type Brain = (body: any, index: number) => Answer | null | undefined | Promise<Answer | null | undefined>;
export function startScriptedServer(brain: Brain, opts?: { minCacheTokens?: number }): Promise<{ url: string; requests: RecordedRequest[]; close(): Promise<void> }>;
export function reply(content: any[], stop_reason?: string): Answer;
export function toolUse(name: string, input: unknown): { type: 'tool_use'; id: string; name: string; input: unknown };
export function text(t: string): { type: 'text'; text: string };
export function step(body: any): number;
export function lastResults(body: any): string;
export function firstText(body: any): string;
export function example41Brain(body: any, index?: number): Answer;
export function agentOf(body: any): string | null;
export function byAgent(brains: Record<string, Brain>): Brain;
export function resultsOf(body: any, k: number): Array<{ source: string | null; text: string; isError: boolean }>;
export function codeSmith41Brain(opts?: { breakType?: boolean; breakTests?: boolean; before?: any[][] }): Brain;
export function migrator41Brain(opts?: { badRollback?: boolean; fixAfterReject?: boolean; before?: any[][] }): Brain;
export const example41AllBrain: Brain;
