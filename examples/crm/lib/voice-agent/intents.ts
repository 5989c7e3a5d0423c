// What the speech layer hands over once it has understood the caller.
export type VoiceIntent =
  | { kind: 'create_estimate'; jobId: string; customerId: string; lineItems: Array<{ description: string; amountCents: number }> }
  | { kind: 'schedule_job'; customerId: string; title: string; when?: string }
  | { kind: 'unknown'; transcript: string };

export function totalCents(items: Array<{ amountCents: number }>): number {
  return items.reduce((sum, i) => sum + i.amountCents, 0);
}
