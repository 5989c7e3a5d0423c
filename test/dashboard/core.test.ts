// The headless core without a terminal: the key priority stack, Tab completion, the
// DialogManager's choice, the layout budget, the frame writer, and the store's bounded log view.
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { KeyRouter, NO_KEY, PRIORITY } from '../../components/keys.js';
import { complete } from '../../components/complete.js';
import { chooseDialog, computeLayout } from '../../components/screen.js';
import { FrameWriter } from '../../components/frame-writer.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { StateDb, type ApprovalRow } from '../../src/store/state-db.js';
import { createAgentStore, EVENT_WINDOW, LOG_RELOAD, LOG_VIEW_MAX, logLines } from '../../src/store/store.js';
import { defaultConfig } from '../../src/config/config.js';
import { tempProject } from './render.js';
import { createDashboard, SYNC_PAGE } from '../../components/controller.js';
import { openProject } from '../../src/config/project.js';
import { loadSecrets } from '../../src/config/secrets.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('key router', () => {
  it('asks handlers from the highest priority down and stops at the first that consumes', () => {
    const r = new KeyRouter();
    const seen: string[] = [];
    let modalOpen = true;
    r.register(PRIORITY.prompt, (i) => (seen.push(`prompt:${i}`), true));
    r.register(PRIORITY.modal, (i) => (seen.push(`modal:${i}`), i === 'y'), () => modalOpen);
    r.register(PRIORITY.global, (i, k) => (seen.push(`global:${i}`), k.ctrl && i === 'c'));
    expect(r.dispatch('y', NO_KEY)).toBe(true);
    expect(seen).toEqual(['global:y', 'modal:y']); // the modal takes y before the prompt
    seen.length = 0;
    r.dispatch('x', NO_KEY);
    expect(seen).toEqual(['global:x', 'modal:x', 'prompt:x']);
    seen.length = 0;
    modalOpen = false;
    r.dispatch('y', NO_KEY);
    expect(seen).toEqual(['global:y', 'prompt:y']);
    seen.length = 0;
    r.dispatch('c', { ...NO_KEY, ctrl: true });
    expect(seen).toEqual(['global:c']);
  });

  it('removes a handler with the function register returned', () => {
    const r = new KeyRouter();
    const off = r.register(1, () => true);
    expect(r.dispatch('a', NO_KEY)).toBe(true);
    off();
    expect(r.dispatch('a', NO_KEY)).toBe(false);
  });
});

describe('completion', () => {
  const src = { tickets: ['BUG-2026-001', 'BUG-2026-002', 'MIG-2026-001'], approvals: ['APR-3'], agents: ['bughunter-1'] };
  const c = (line: string) => complete(line, COMMANDS, src);
  it('completes a command whose name is the only fit, whole', () => {
    expect(c('crea').value).toBe('create ticket ');
    expect(c('@agent crea').value).toBe('@agent create ticket ');
  });
  it('offers the choices when several fit and extends to their common prefix', () => {
    const r = c('tick');
    expect(r.value).toBe('ticket');
    expect(r.candidates).toEqual(expect.arrayContaining(['tickets', 'ticket']));
  });
  it('completes ids for arguments that take them', () => {
    expect(c('ticket MIG').value).toBe('ticket MIG-2026-001 ');
    expect(c('ticket BUG').value).toBe('ticket BUG-2026-00');
    expect(c('approve ').candidates).toEqual(expect.arrayContaining(['APR-3', 'BUG-2026-001']));
    expect(c('logs bugh').value).toBe('logs bughunter-1 ');
    expect(c('logs bug').candidates).toEqual(expect.arrayContaining(['bughunter-1', 'BUG-2026-001']));
  });
  it('completes flags and their values', () => {
    expect(c('logs --lev').value).toBe('logs --level ');
    expect(c('logs --level w').value).toBe('logs --level warn ');
    expect(c('tickets --kind ').candidates).toEqual(['BUG', 'FEAT', 'MIG', 'OPS']);
  });
  it('leaves prose inside quotes alone', () => {
    expect(c('create ticket "the BUG').candidates).toEqual([]);
  });
});

describe('DialogManager', () => {
  const row = (id: string, at: number): ApprovalRow => ({
    id, ticket_id: null, run_id: null, category: 'credentialChange', action: id, summary: id, risk: 'high', touches: '[]', gates: '[]',
    resume: null, confirm: null, status: 'pending', requested_by: 'X', requested_at: at, decided_by: null, decided_at: null, reason: null,
  });
  it('shows the oldest pending approval not put off, before the deploy chooser', () => {
    const pending = [row('APR-2', 20), row('APR-1', 10)];
    expect(chooseDialog(pending, [], { choices: ['staging'] })).toMatchObject({ type: 'approval', approval: { id: 'APR-1' }, others: 1 });
    expect(chooseDialog(pending, ['APR-1'], null)).toMatchObject({ type: 'approval', approval: { id: 'APR-2' }, others: 0 });
    expect(chooseDialog(pending, ['APR-1', 'APR-2'], { choices: ['staging'] })).toEqual({ type: 'deploy', choices: ['staging'] });
    expect(chooseDialog([], [], null)).toBeNull();
  });
});

describe('layout', () => {
  it('is always one row shorter than the terminal, and the log keeps room (a dialog may take it under 16 rows)', () => {
    for (const rows of [12, 24, 40, 80]) {
      for (const dialogLines of [0, 8, 40]) {
        const l = computeLayout(rows, { agents: 3, logsMaximized: false, helpOpen: false, dialogLines });
        expect(l.header + l.top + l.log + l.bottom + l.footer).toBe(l.height);
        expect(l.height).toBe(rows - 1);
        expect(l.header).toBe(2);
        expect(l.footer).toBe(1);
        if (rows >= 16 || dialogLines === 0) expect(l.log).toBeGreaterThanOrEqual(3);
      }
    }
    // Minimal mode: at 12 rows a long dialog gets every row between the header and the footer.
    expect(computeLayout(12, { agents: 0, logsMaximized: false, helpOpen: false, dialogLines: 40 }).bottom).toBe(8);
    // …and the prompt loses its border there (2 rows), so the log keeps 3 lines.
    expect(computeLayout(12, { agents: 0, logsMaximized: false, helpOpen: false, dialogLines: 0 })).toMatchObject({ bottom: 2, log: 6, logVisible: 3 });
    // Idle, the agents and activity panes take one line each (a title row and borders around it).
    expect(computeLayout(40, { agents: 0, logsMaximized: false, helpOpen: false, dialogLines: 0 }).top).toBe(4);
  });
});

describe('frame writer', () => {
  it('writes only changed rows, at absolute positions, synchronized', () => {
    const out: string[] = [];
    const w = new FrameWriter({ write: (s: string) => out.push(s) }, { columns: 20, rows: 10 }, { maxFps: 1000 });
    w.frame('a\nb\nc');
    expect(out.pop()).toBe('\x1b[?2026h\x1b[1;1Ha\x1b[0m\x1b[K\x1b[2;1Hb\x1b[0m\x1b[K\x1b[3;1Hc\x1b[0m\x1b[K\x1b[?2026l');
    w.flush();
    w.frame('a\nB\nc');
    w.flush();
    expect(out.pop()).toBe('\x1b[?2026h\x1b[2;1HB\x1b[0m\x1b[K\x1b[?2026l');
    w.frame('a\nB');
    w.flush();
    expect(out.pop()).toBe('\x1b[?2026h\x1b[3;1H\x1b[0m\x1b[K\x1b[?2026l'); // a row that went away is cleared
    const before = out.length;
    w.frame('a\nB');
    w.flush();
    expect(out.length).toBe(before); // nothing changed, nothing written
  });

  it('caps writes per second (burst of two) and keeps the newest frame', async () => {
    const out: string[] = [];
    const w = new FrameWriter({ write: (s: string) => out.push(s) }, { columns: 20, rows: 10 }, { maxFps: 20, burst: 2 });
    for (let i = 0; i < 100; i++) w.frame(`frame ${i}`);
    // Two go out at once (the second one is what lets a keypress through right after a data frame)...
    expect(out).toHaveLength(2);
    // ...and the rest wait for the next slot, where only the newest frame is written.
    await new Promise<void>((resolve) => {
      w.onWrite = () => resolve();
    });
    expect(out).toHaveLength(3);
    expect(out[2]).toContain('frame 99');
    expect(w.stats.frames).toBe(100);
    w.close();
  });

  it('repaints every row after a resize', () => {
    const out: string[] = [];
    const w = new FrameWriter({ write: (s: string) => out.push(s) }, { columns: 20, rows: 10 }, { maxFps: 1000 });
    w.frame('a\nb');
    w.resize(30, 5);
    expect(out.join('')).toContain('\x1b[2J');
    expect(out.at(-1)).toContain('\x1b[1;1Ha');
    expect(w.stream.rows).toBe(5);
  });
});

describe('store under a burst', () => {
  it('counts every event, keeps memory bounded, and pages history back in from SQLite', () => {
    const dir = tempProject();
    dirs.push(dir);
    const path = join(dir, '.agent', 'state.db');
    const mine = new StateDb(path);
    const other = new StateDb(path); // another process's connection
    const store = createAgentStore(mine, defaultConfig('t'), dir);
    store.getState().sync();
    const start = store.getState().eventsSeen;
    let total = 0;
    for (let burst = 0; burst < 6; burst++) {
      other.tx(() => {
        for (let i = 0; i < 5000; i++) other.appendEvent({ kind: 'line', level: i % 100 === 0 ? 'warn' : 'info', agent: 'LOAD', message: `e${total + i}` });
      });
      total += 5000;
      store.getState().sync();
      expect(store.getState().events.length).toBeLessThanOrEqual(EVENT_WINDOW);
      expect(store.getState().log.rows.length).toBeLessThanOrEqual(LOG_VIEW_MAX);
    }
    expect(store.getState().eventsSeen - start).toBe(total);
    expect(store.getState().log.rows.at(-1)!.message).toBe(`e${total - 1}`);
    // Scroll all the way back: pages come from SQLite, the window never grows past its bound.
    for (let i = 0; i < 200; i++) {
      const before = `${store.getState().log.offset}:${store.getState().log.rows[0]!.id}`;
      store.getState().scrollLog(500, 20);
      expect(store.getState().log.rows.length).toBeLessThanOrEqual(LOG_VIEW_MAX);
      if (`${store.getState().log.offset}:${store.getState().log.rows[0]!.id}` === before) break; // the top
    }
    const s = store.getState();
    const lines = logLines(s.log.rows, s.console, s.log);
    const top = lines[lines.length - s.log.offset - 20]!;
    expect(top.message).toBe('e0');
    expect(s.log.follow).toBe(false);
    // Back down to the newest: following again.
    for (let i = 0; i < 200 && !store.getState().log.follow; i++) store.getState().scrollLog(-500, 20);
    expect(store.getState().log.follow).toBe(true);
    expect(store.getState().log.rows.at(-1)!.message).toBe(`e${total - 1}`);
    // A level filter is a query: warn lines only, from all 30,000.
    store.getState().setLogFilter({ minLevel: 'warn' });
    expect(store.getState().log.rows).toHaveLength(total / 100);
    mine.close();
    other.close();
  });
});

describe('a large backlog', () => {
  it('is read a page at a time: sync(maxRows) never reads more and says when more wait', () => {
    const dir = tempProject();
    dirs.push(dir);
    const path = join(dir, '.agent', 'state.db');
    const mine = new StateDb(path);
    const other = new StateDb(path);
    const store = createAgentStore(mine, defaultConfig('t'), dir);
    store.getState().sync();
    other.tx(() => {
      for (let i = 0; i < 3500; i++) other.appendEvent({ kind: 'line', level: 'info', agent: 'LOAD', message: `e${i}` });
    });
    const arrived: number[] = [];
    for (let i = 0; i < 10 && (arrived.length === 0 || store.getState().behind); i++) arrived.push(store.getState().sync(1000));
    expect(arrived).toEqual([1000, 1000, 1000, 500]);
    expect(store.getState().behind).toBe(false);
    expect(store.getState().log.rows.at(-1)!.message).toBe('e3499');
    mine.close();
    other.close();
  });

  it('a reload of the log (a filter, following again, R) reads one page; older lines page in when scrolled to', () => {
    const dir = tempProject();
    dirs.push(dir);
    const path = join(dir, '.agent', 'state.db');
    const mine = new StateDb(path);
    const other = new StateDb(path);
    const store = createAgentStore(mine, defaultConfig('t'), dir);
    store.getState().sync();
    other.tx(() => {
      for (let i = 0; i < 3500; i++) other.appendEvent({ kind: 'line', level: 'info', agent: 'LOAD', message: `e${i}` });
    });
    store.getState().sync();
    const reads: number[] = [];
    const events = mine.events.bind(mine);
    mine.events = ((q: Parameters<StateDb['events']>[0]) => {
      const rows = events(q);
      reads.push(rows.length);
      return rows;
    }) as StateDb['events'];
    store.getState().setLogFilter({ agent: 'LOAD' });
    store.getState().setLogFilter({ agent: null });
    store.getState().followLog();
    expect(Math.max(...reads)).toBe(LOG_RELOAD);
    expect(store.getState().log.rows).toHaveLength(LOG_RELOAD);
    expect(store.getState().log.hasOlder).toBe(true);
    for (let i = 0; i < 20; i++) store.getState().scrollLog(500, 20);
    const s = store.getState();
    expect(logLines(s.log.rows, s.console, s.log)[s.log.rows.length - s.log.offset - 20]!.message).toBe('e0');
    mine.close();
    other.close();
  });

  it('the dashboard catches up over several ticks, never reading more than a page of events in one', async () => {
    const dir = tempProject();
    dirs.push(dir);
    const path = join(dir, '.agent', 'state.db');
    const state = new StateDb(path);
    const d = createDashboard({ project: await openProject({ cwd: dir }), secrets: loadSecrets(dir, {}), state, commands: COMMANDS, syncMs: 50 });
    d.start();
    // Every read of new events the dashboard makes, and how many rows it got.
    const reads: number[] = [];
    const events = state.events.bind(state);
    state.events = ((q: Parameters<StateDb['events']>[0]) => {
      const rows = events(q);
      if (q?.afterId !== undefined) reads.push(rows.length);
      return rows;
    }) as StateDb['events'];
    const other = new StateDb(path);
    other.tx(() => {
      for (let i = 0; i < 5_000; i++) other.appendEvent({ kind: 'line', level: 'info', agent: 'LOAD', message: `e${i}` });
    });
    const start = d.data.getState().eventsSeen;
    const deadline = Date.now() + 10_000;
    while (d.data.getState().eventsSeen - start < 5_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(d.data.getState().eventsSeen - start).toBe(5_000);
    expect(Math.max(...reads)).toBeLessThanOrEqual(SYNC_PAGE);
    expect(reads.filter((n) => n > 0).length).toBeGreaterThanOrEqual(5_000 / SYNC_PAGE);
    expect(d.data.getState().log.rows.at(-1)!.message).toBe('e4999');
    d.stop();
    state.close();
    other.close();
  });
});

describe("a child command's NDJSON", () => {
  it('is read record by record; anything else is not a record', async () => {
    const { parseRecord } = await import('../../components/command-child.js');
    expect(parseRecord('{"type":"event","id":7,"agent":"STAGE","level":"ok","message":"All tests passing","data":{"n":16}}')).toEqual({ type: 'event', id: 7, agent: 'STAGE', level: 'ok', message: 'All tests passing', data: { n: 16 } });
    expect(parseRecord('{"type":"text","text":"ID  STATUS"}')).toEqual({ type: 'text', text: 'ID  STATUS' });
    expect(parseRecord('{"type":"progress","label":null}')).toEqual({ type: 'progress', label: null });
    expect(parseRecord('{"type":"result","ok":false,"exitCode":3,"error":{"code":"approval_required","message":"run `agent approve APR-1`"}}')).toMatchObject({ type: 'result', ok: false, exitCode: 3, error: { message: 'run `agent approve APR-1`' } });
    for (const junk of ['', 'Warning: something', '{"type":"event"}', '{not json', '[1,2]', '{"type":"other"}']) expect(parseRecord(junk)).toBeNull();
  });
});
