// The failing tests a logic cause names, read from its evidence. Pure.
import { FAILING_TEST_EVIDENCE, type RootCause } from '../shared/causes.js';

export function failingTestsOf(cause: Pick<RootCause, 'evidence'>): Array<{ file: string; name: string }> {
  const out: Array<{ file: string; name: string }> = [];
  for (const e of cause.evidence) {
    const m = FAILING_TEST_EVIDENCE.exec(e);
    if (m && !out.some((t) => t.file === m[1] && t.name === m[2])) out.push({ file: m[1]!, name: m[2]! });
  }
  return out;
}
