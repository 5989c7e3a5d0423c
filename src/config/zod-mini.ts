// zod/mini (the part schemas use, ./zod-api.ts), loaded on first use. The one-shot path validates
// nothing for most commands (`agent status`, `agent --version`), and zod's evaluation is a
// measurable part of cold start, so no module on that path imports it statically; whoever needs
// it awaits this.
export type ZodMini = typeof import('./zod-api.js');

let loading: Promise<ZodMini> | undefined;
let loaded: ZodMini | undefined;

export function loadZodMini(): Promise<ZodMini> {
  return (loading ??= import('./zod-api.js').then((m) => (loaded = m)));
}

/** The module if something already loaded it (synchronous callers that were prepared). */
export function zodMiniIfLoaded(): ZodMini | undefined {
  return loaded;
}
