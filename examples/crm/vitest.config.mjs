// Plain object on purpose: no import, so the tests also run where only vitest's binary exists.
export default { test: { include: ['**/*.test.ts', '**/*.test.tsx'], exclude: ['node_modules/**', 'staged/**', '.agent/**'] } };
