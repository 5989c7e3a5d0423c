// One key-routing stack. Every keypress goes to the active handlers from the highest priority
// down; the first that returns true consumes it. A modal registers above the prompt, so it takes
// `y` while the prompt would otherwise have typed it. Headless: no ink or react here.

/** The subset of Ink's Key that the dashboard reads (Ink's own Key type is structurally wider). */
export interface KeyInfo {
  upArrow: boolean;
  downArrow: boolean;
  leftArrow: boolean;
  rightArrow: boolean;
  pageUp: boolean;
  pageDown: boolean;
  home: boolean;
  end: boolean;
  return: boolean;
  escape: boolean;
  ctrl: boolean;
  shift: boolean;
  tab: boolean;
  backspace: boolean;
  delete: boolean;
  meta: boolean;
}

export type KeyHandler = (input: string, key: KeyInfo) => boolean;

/** Higher runs first. */
export const PRIORITY = {
  /** Ctrl-C: cancel a running command, else quit. Nothing may swallow it. */
  global: 100,
  /** The single modal the DialogManager chose: it takes every key while open. */
  modal: 80,
  /** The help overlay. */
  overlay: 60,
  /** The command prompt: its text, line editing, history, completion, Enter and Esc. */
  prompt: 40,
  /** Quick keys and scrolling while the panes have the focus. */
  panes: 20,
} as const;

interface Entry {
  id: number;
  priority: number;
  handler: KeyHandler;
  active: () => boolean;
}

export class KeyRouter {
  private entries: Entry[] = [];
  private nextId = 0;
  /** Called for every key as it reaches the router (the bench times key-to-frame from it). */
  onKey: ((input: string) => void) | null = null;

  /** Adds a handler; returns the function that removes it. Equal priorities: the newest first. */
  register(priority: number, handler: KeyHandler, active: () => boolean = () => true): () => void {
    const entry: Entry = { id: this.nextId++, priority, handler, active };
    this.entries.push(entry);
    this.entries.sort((a, b) => b.priority - a.priority || b.id - a.id);
    return () => {
      this.entries = this.entries.filter((e) => e !== entry);
    };
  }

  /** Routes one key; true when a handler consumed it. */
  dispatch(input: string, key: KeyInfo): boolean {
    this.onKey?.(input);
    for (const e of [...this.entries]) {
      if (!e.active()) continue;
      if (e.handler(input, key)) return true;
    }
    return false;
  }

  get size(): number {
    return this.entries.length;
  }
}

export const NO_KEY: KeyInfo = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageUp: false,
  pageDown: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
};

/** A printable character or pasted text (no control keys). */
export function isPrintable(input: string, key: KeyInfo): boolean {
  return input.length > 0 && !key.ctrl && !key.meta && !key.return && !key.tab && !key.escape && !/[\x00-\x1f\x7f]/.test(input);
}
