// The voice agent: turns an understood intent into MCP tool calls and a spoken reply.
import type { McpClient } from './mcp-client';
import { totalCents, type VoiceIntent } from './intents';

export interface VoiceReply {
  spoken: string;
  done: boolean;
}

const dollars = (cents: number) => `$${(cents / 100).toFixed(2)}`;

export async function handleIntent(intent: VoiceIntent, mcp: McpClient): Promise<VoiceReply> {
  switch (intent.kind) {
    case 'create_estimate': {
      const total = totalCents(intent.lineItems);
      const res = await mcp.callTool('create_estimate_record', {
        job_id: intent.jobId,
        customer_id: intent.customerId,
        total_cents: total,
        line_items: intent.lineItems,
        source: 'voice',
      });
      if (!res.ok) return { spoken: 'Sorry, I could not save that estimate. Please try again.', done: false };
      return { spoken: `Estimate created for ${dollars(total)}.`, done: true };
    }
    case 'schedule_job': {
      const res = await mcp.callTool('create_job', { customer_id: intent.customerId, title: intent.title, scheduled_for: intent.when });
      if (!res.ok) return { spoken: 'Sorry, I could not schedule that job.', done: false };
      return { spoken: `Scheduled: ${intent.title}.`, done: true };
    }
    case 'unknown':
      return { spoken: "Sorry, I didn't catch that. Could you say it again?", done: false };
  }
}
