// Named points where a test may kill the process, to prove that a kill at that instant leaves
// something `agent status` names and one command finishes or undoes. CRM_AGENT_FAILPOINT names one
// point (`deploy:migrations:intent`); nothing happens without it.
export function failpoint(name: string): void {
  const want = process.env.CRM_AGENT_FAILPOINT;
  if (want && want === name) process.kill(process.pid, 'SIGKILL');
}
