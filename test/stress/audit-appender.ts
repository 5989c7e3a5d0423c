// The child program of audit-head.test.ts: appends audit entries to a state database as fast as
// it can, N of them or until it is killed, and prints every committed sequence number.
import { StateDb } from '../../src/store/state-db.js';
import { appendAudit } from '../../src/engine/audit.js';

const [path, count] = process.argv.slice(2);
const db = new StateDb(path!);
const n = count ? Number(count) : Infinity;
for (let i = 0; i < n; i++) {
  const row = appendAudit(db, { initiator: 'stress', agent: 'ORCHESTRATOR', action: 'stress.append', target: `pid ${process.pid}`, result: String(i) });
  process.stdout.write(`${row.seq}\n`);
}
db.close();
