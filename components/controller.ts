// The dashboard's headless core: the two stores, the key router, the prompt's command runner (the
// same registry, parser and router as the CLI, with a Reporter that writes into the store), the
// approval decisions of the modal, and the timers (sync, heartbeat, throttled tick).
// No ink or react here: everything below can be driven and tested without a terminal.
import { randomBytes } from 'node:crypto';
import type { ProjectContext } from '../src/config/project.js';
import type { Secrets } from '../src/config/secrets.js';
import type { AgentConfig } from '../src/config/config.js';
import type { CommandContext, CommandDef, CommandResult, Level, LineData, Reporter } from '../src/commands/types.js';
import { createContext, runCommand } from '../src/commands/dispatch.js';
import { parseArgv, splitWords } from '../src/cli/argv.js';
import { helpFor } from '../src/cli/help.js';
import { formatLine, makeStyle } from '../src/cli/style.js';
import { lineEvent } from '../src/cli/output.js';
import { printable, printableLines } from '../src/cli/printable.js';
import { VERSION } from '../src/cli/run.js';
import { explainSuggestion, route } from '../src/engine/router.js';
import { DASHBOARD_SESSION, decide, requesterCarriesOn, resumeOf } from '../src/engine/approvals.js';
import { confirmationText } from '../src/engine/approval-policy.js';
import { redact, redactClip } from '../src/config/redact.js';
import { AgentError, EXIT, UsageError, exitCodeOf } from '../src/errors.js';
import type { ApprovalRow, StateDb } from '../src/store/state-db.js';
import { createAgentStore, type AgentStore } from '../src/store/store.js';
import { createUiStore, type UiStore } from './ui-store.js';
import { KeyRouter } from './keys.js';
import { chooseDialog, computeLayout, type Dialog, type Layout } from './screen.js';
import { approvalLines, approveCommand, deployChooserLines, visibleAgents } from './view.js';
import { complete } from './complete.js';
import { ALT_EDITS, installKeys, promptActive } from './key-handlers.js';
import { KeyStream, splitEscPrefixed } from './key-stream.js';
import { spawnCommand } from './command-child.js';
import { loadTicket } from './ticket-view.js';

export interface DashboardOptions {
  project: ProjectContext;
  secrets: Secrets;
  /** The open state database; the dashboard and the commands it runs share it. */
  state: StateDb;
  /** The registry to dispatch through. */
  commands: readonly CommandDef[];
  columns?: number;
  rows?: number;
  /** How often to poll SQLite for what other processes did (ms). */
  syncMs?: number;
  /** How long an approval dialog ignores keys after it was drawn (ms). */
  armMs?: number;
  /**
   * How to start the CLI ([node, dist/cli.js]): commands typed at the prompt then run in a child
   * process (command-child.ts), except the few IN_PROCESS ones. Absent: all run in this process
   * (the component tests' stand-in commands exist only here).
   */
  cli?: readonly string[];
  /** The children's environment (default: this process's). */
  cliEnv?: NodeJS.ProcessEnv;
}

export interface Dashboard {
  readonly data: AgentStore;
  readonly ui: UiStore;
  readonly router: KeyRouter;
  readonly commands: readonly CommandDef[];
  readonly config: AgentConfig;
  readonly state: StateDb;
  readonly sessionId: string;
  /** An approval dialog ignores keys for this long after it was drawn. */
  readonly armMs: number;
  /** One read from the terminal: split into keys, each routed by the focus at that moment. */
  feed(chunk: string, at?: number): void;
  /** When the read being routed arrived (performance.now()). */
  readAt(): number;
  /** How many of the UI's own writes another process's write lock refused (each retried later). */
  busyRefusals(): number;
  /** Resolves when the admin asked to quit (q, Ctrl-C, a signal). */
  readonly quitting: Promise<void>;
  start(): void;
  /** Stops timers, cancels running commands, ends the dashboard session. Idempotent. */
  stop(): void;
  /** Runs one prompt line exactly like the CLI would; resolves when the command finished. */
  submit(line: string): Promise<void>;
  /** The single modal the DialogManager shows now. */
  dialog(): Dialog;
  /** y / n / Enter in the approval dialog. */
  decide(decision: 'approved' | 'rejected'): Promise<void>;
  /**
   * The ticket view: a ticket and its agents' six phases with checklist and evidence, over the
   * panes until Esc. False (and a notice) when there is no such ticket.
   */
  openTicket(id: string): boolean;
  /** D: the deploy-target chooser, or a notice when the command set has no deploy. */
  deploy(): void;
  chooseDeploy(target: string): Promise<void>;
  refresh(): void;
  completePrompt(): void;
  /** Ctrl-C: cancels running commands, or quits when none runs. */
  interrupt(): void;
  quit(): void;
  layout(): Layout;
  /** Resolves when no prompt command is running (or after `timeoutMs`). */
  settle(timeoutMs?: number): Promise<void>;
}

const HISTORY_KEY = 'dashboard.history';
/** The most events one sync reads (a few ms); the rest of a backlog follows on the next ticks. */
export const SYNC_PAGE = 1000;
/**
 * What the prompt runs in this process even with a child CLI: reads of the state database the
 * dashboard already holds open (a few ms here against ~250 ms and another Node for a child), with
 * printed tables as their whole output. Everything else (fix, deploy, bugs scan, migrations,
 * decisions: anything that writes, and reads that open PGlite or run checks) runs in a child.
 * Shell-only commands also stay here: they refuse the dashboard at once, before anything starts.
 */
export const IN_PROCESS: ReadonlySet<string> = new Set(['status', 'tickets', 'ticket', 'approvals', 'logs', 'audit', 'system logs', 'system backups']);
const NOTICE_MS = 8000;
const BRIEF_NOTICE_MS = 2000;
/** A second Ctrl-C within this long quits, whatever is still winding down. */
const QUIT_AGAIN_MS = 2000;
/** The UI's own writes wait at most this long for another process's write lock; then they retry on the next tick. */
const UI_BUSY_MS = 20;
/** A decision the admin is waiting to see may wait a little longer, never seconds. */
const DECIDE_BUSY_MS = 250;

export function createDashboard(opts: DashboardOptions): Dashboard {
  const { state, project, secrets, commands } = opts;
  const config = project.config();
  const data = createAgentStore(state, config, project.root);
  const history = safe(() => state.getKv<string[]>(HISTORY_KEY), []) ?? [];
  const ui = createUiStore({ columns: opts.columns, rows: opts.rows, history: Array.isArray(history) ? history : [] });
  const router = new KeyRouter();
  const sessionId = `dashboard-${process.pid}-${randomBytes(3).toString('hex')}`;
  const running = new Map<number, { cancel(): void; done: Promise<void> }>();
  /** Approvals a child `agent approve` is deciding and carrying out: no dialog for them meanwhile. */
  const carrying = new Set<string>();
  /** Approvals that commands run from this prompt asked for: they wait here and carry on themselves. */
  const askedHere = new Set<string>();
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  let syncQueued = false;
  const keys = new KeyStream();
  let readAt = 0;
  let lastInterrupt = -Infinity;
  let refusals = 0;
  /** The UI thread's own writes: a short busy timeout, false when another process holds the lock. */
  const tryWrite = (fn: () => void): boolean => {
    try {
      state.withBusyTimeout(UI_BUSY_MS, fn);
      return true;
    } catch {
      refusals++;
      return false; // busy (or failing: the sync reports a database that cannot be read)
    }
  };
  /** History waiting for a write the lock refused; written on a later tick. */
  let historyDirty = false;
  /** The newest event id when the open ticket was read: a newer one re-reads it. */
  let ticketReadAt = 0;
  const rereadTicket = () => {
    const t = ui.getState().ticket;
    const last = data.getState().lastEventId;
    if (!t || last === ticketReadAt) return;
    ticketReadAt = last;
    try {
      const m = loadTicket(state, t.id);
      if (m) ui.getState().setTicketModel(m);
    } catch {
      // the next sync reports a database that cannot be read
    }
  };
  let resolveQuit!: () => void;
  const quitting = new Promise<void>((r) => (resolveQuit = r));

  const sync = () => {
    try {
      // A page at a time: a backlog of thousands of events is read over several ticks, keys between.
      data.getState().sync(SYNC_PAGE);
      if (data.getState().behind) queueSync();
    } catch (err) {
      if (!stopped) ui.getState().notify(`could not read the state database: ${(err as Error).message}`, 'error');
    }
  };
  /** Our own writes show at once (coalesced), not only on the next poll. */
  const queueSync = () => {
    if (syncQueued || stopped) return;
    syncQueued = true;
    setImmediate(() => {
      syncQueued = false;
      if (!stopped) sync();
    });
  };

  const print = (text: string, level = 'info') => {
    sync();
    data.getState().print(redact(text), level);
  };

  const printError = (err: unknown) => {
    showError(exitCodeOf(err), err instanceof Error ? err.message : String(err));
    if (!(err instanceof AgentError) && process.env.AGENT_DEBUG && err instanceof Error && err.stack) print(redact(err.stack), 'error');
  };

  const errorLine = (code: number, raw: string) => {
    const message = printableLines(redact(raw));
    const prefix = code === EXIT.usage ? 'error:' : code === EXIT.approvalRequired ? '⚠' : code === EXIT.interrupted ? '⏹' : '✗';
    const level = code === EXIT.approvalRequired || code === EXIT.interrupted ? 'warn' : 'error';
    return { text: `${prefix} ${message}`, level };
  };
  /** An error line in the log and the notice: a message can echo a ticket title, so it is shown escaped. */
  const showError = (code: number, raw: string) => {
    const { text, level } = errorLine(code, raw);
    print(text, level);
    ui.getState().notify(text, level === 'warn' ? 'warn' : 'error');
  };
  const notifyError = (code: number, raw: string) => {
    const { text, level } = errorLine(code, raw);
    ui.getState().notify(text, level === 'warn' ? 'warn' : 'error');
  };
  /** Whether the child process stored an error event carrying this message since it started. */
  const recordedByChild = (pid: number | undefined, since: number, raw: string): boolean => {
    const needle = redact(raw).split('\n')[0]!.slice(0, 120);
    if (pid === undefined || !needle) return false;
    try {
      return state.events({ sinceTs: since, minLevel: 'error', text: needle, tail: true, limit: 20 }).some((e) => e.pid === pid);
    } catch {
      return false;
    }
  };

  /** A Reporter that writes into the store: lines become events (as in the CLI), blocks go to the log pane. */
  const reporter = (commandId: number | null): Reporter => ({
    json: false,
    color: false,
    line(agent: string, level: Level, message: string, lineData?: LineData) {
      if (typeof lineData?.approvalId === 'string' && commandId !== null) askedHere.add(lineData.approvalId);
      state.appendEvent(lineEvent(agent, level, message, lineData));
      queueSync();
    },
    print(text: string) {
      print(text);
    },
    async spin<T>(label: string, work: Promise<T>): Promise<T> {
      if (commandId === null) return work;
      ui.getState().setCommandLabel(commandId, label);
      try {
        return await work;
      } finally {
        ui.getState().setCommandLabel(commandId, null);
      }
    },
  });

  /** Runs `work` as a tracked command with its own context and abort signal. */
  /** A command is over: its row leaves the running list and the panes re-read the state database. */
  const finished = (id: number): void => {
    running.delete(id);
    if (stopped) return;
    ui.getState().finishCommand(id);
    // A full read, not the change check: a command can write rows from this very connection
    // without an event (health's results), which the change check does not see.
    try {
      data.getState().refresh();
    } catch {
      // the next sync reports a database that cannot be read
    }
    queueSync();
  };

  const track = async (line: string, work: (ctx: CommandContext) => Promise<CommandResult>, label?: string): Promise<void> => {
    const ui0 = ui.getState();
    const id = ui0.startCommand(line);
    const abort = new AbortController();
    const out = reporter(id);
    const ctx = createContext({ project, secrets, out, signal: abort.signal, interactive: false, initiator: 'dashboard', commands, state });
    let resolveDone!: () => void;
    running.set(id, { cancel: () => abort.abort(), done: new Promise<void>((r) => (resolveDone = r)) });
    try {
      const result = await work(ctx);
      const code = result.exitCode ?? EXIT.ok;
      if (abort.signal.aborted) print(`⏹ ${label ?? line}: cancelled`, 'warn');
      else if (code !== EXIT.ok) {
        print(`✗ ${label ?? line} exited ${code}`, 'error');
        ui.getState().notify(`✗ ${label ?? line} exited ${code}`, 'error');
      }
    } catch (err) {
      if (!stopped) printError(err);
    } finally {
      finished(id);
      resolveDone();
    }
  };

  /** Runs a command line in a child CLI (see command-child.ts); its events reach the log through SQLite. */
  const trackChild = async (line: string, words: readonly string[], label: string): Promise<void> => {
    const ui0 = ui.getState();
    const id = ui0.startCommand(line);
    const startedAt = Date.now();
    let resolveDone!: () => void;
    const tracked = new Promise<void>((r) => (resolveDone = r));
    const child = spawnCommand({
      cli: opts.cli!,
      words,
      root: project.root,
      env: opts.cliEnv,
      onRecord(r) {
        if (stopped) return;
        if (r.type === 'event') {
          // Stored events come through the sync like every other process's; the rest are printed.
          if (r.id !== undefined) queueSync();
          else print(formatLine(PLAIN, r.agent, r.level, r.message), r.level === 'error' || r.level === 'warn' ? r.level : 'info');
        } else if (r.type === 'text') print(r.text);
        else if (r.type === 'progress') ui.getState().setCommandLabel(id, r.label);
      },
    });
    running.set(id, { cancel: () => child.interrupt(), done: tracked });
    try {
      const { code, result, stderr } = await child.done;
      if (stopped) return;
      if (child.interrupted && (code === EXIT.interrupted || code === EXIT.ok)) print(`⏹ ${label}: cancelled`, 'warn');
      else if (result?.error) {
        // The child recorded its failure as an error event (the run's or command.failed): the log
        // shows that line already, so only the notice says it again.
        if (recordedByChild(child.pid, startedAt, result.error.message)) notifyError(code, result.error.message);
        else showError(code, result.error.message);
      }
      else if (code !== EXIT.ok) {
        const why = result ? '' : lastLine(stderr);
        print(`✗ ${label} exited ${code}${why ? `: ${why}` : ''}`, 'error');
        ui.getState().notify(`✗ ${label} exited ${code}`, 'error');
      }
    } finally {
      finished(id);
      resolveDone();
    }
  };

  const d: Dashboard = {
    data,
    ui,
    router,
    commands,
    config,
    state,
    sessionId,
    quitting,
    armMs: opts.armMs ?? 300,

    feed(chunk, at = performance.now()) {
      readAt = at;
      for (const k of keys.push(chunk)) {
        // ESC and a key in one read: Alt-B/F/Backspace at the prompt, otherwise the two keys typed.
        const alt = promptActive(d) && (k.input.toLowerCase() in ALT_EDITS || k.key.backspace);
        if (k.escPrefixed && !alt) for (const part of splitEscPrefixed(k)) router.dispatch(part.input, part.key);
        else router.dispatch(k.input, k.key);
        if (stopped) return;
      }
    },

    readAt: () => readAt,
    busyRefusals: () => refusals,

    start() {
      tryWrite(() => state.touchSession(sessionId, DASHBOARD_SESSION));
      sync();
      const every = (ms: number, fn: () => void) => {
        const t = setInterval(() => {
          if (!stopped) fn();
        }, ms);
        t.unref();
        timers.push(t);
      };
      every(opts.syncMs ?? 150, sync);
      // The heartbeat that tells non-interactive commands a dashboard can answer their approvals.
      // Never waits on another process's write lock: a refused beat is retried on the next one.
      every(Math.min(config.agents.heartbeatMs, Math.floor(config.agents.staleAfterMs / 3)), () => {
        tryWrite(() => state.touchSession(sessionId, DASHBOARD_SESSION));
        if (historyDirty) historyDirty = !tryWrite(() => state.setKv(HISTORY_KEY, ui.getState().prompt.history));
      });
      // Spinners and elapsed times: 4 frames a second while something runs, one otherwise.
      let n = 0;
      every(250, () => {
        const u = ui.getState();
        const busy = u.running.length > 0 || visibleAgents(data.getState().agents, Date.now()).length > 0;
        if (busy || ++n % 4 === 0) u.advanceTick();
        rereadTicket();
        // While a command runs, a passing notice gives the status row back to its spinner soon.
        const keep = u.running.length && (u.notice?.level === 'ok' || u.notice?.level === 'info') ? BRIEF_NOTICE_MS : NOTICE_MS;
        if (u.notice && Date.now() - u.notice.at > keep) u.clearNotice();
      });
    },

    stop() {
      if (stopped) return;
      for (const r of running.values()) r.cancel();
      stopped = true;
      for (const t of timers.splice(0)) clearInterval(t);
      tryWrite(() => state.endSession(sessionId));
    },

    async submit(raw) {
      const text = raw.replace(/[\r\n]+/g, ' ').trim();
      let words: string[] = [];
      const u = ui.getState();
      u.pushHistory(text);
      if (!text) return;
      historyDirty = !tryWrite(() => state.setKv(HISTORY_KEY, ui.getState().prompt.history));
      print(`› ${text}`, 'input');
      let parsed;
      try {
        words = splitWords(text);
        parsed = parseArgv(words, commands);
      } catch (err) {
        printError(err);
        return;
      }
      if (parsed.type === 'version') return print(VERSION);
      if (parsed.type === 'help') {
        if (!parsed.topic.length) return ui.getState().openHelp();
        try {
          print(helpFor(parsed.topic, commands, makeStyle(false), VERSION));
        } catch (err) {
          printError(err);
        }
        return;
      }
      let routed: string | null = null;
      let def: CommandDef;
      let input: Record<string, unknown>;
      if (parsed.type === 'text') {
        const r = route(parsed.text, commands);
        if (r.type === 'suggest') {
          printError(new UsageError(explainSuggestion(r, { shown: clip(parsed.text), prefix: '', otherwise: 'press H for the commands' })));
          return;
        }
        def = commands.find((c) => c.name === r.name)!;
        input = r.input;
        routed = `Understood as \`agent ${r.name}\` (confidence ${Math.round(r.confidence * 100)}%)`;
      } else {
        def = parsed.def;
        input = parsed.input;
        if (parsed.globals.json) return printError(new UsageError('--json has no place in the dashboard: its output is this screen (for machine-readable output run `agent status --json` in a shell)'));
        if (parsed.globals.project) return printError(new UsageError(`--project: this dashboard works on ${project.root}; start another dashboard there with \`agent dashboard --project DIR\``));
      }
      // `ticket <id>` opens the ticket view (its phases, checklist and evidence); an unknown id runs
      // the command, which says so as in the CLI.
      if (def.name === 'ticket' && typeof input.id === 'string' && safe(() => state.ticket(input.id as string), undefined) && d.openTicket(input.id)) return;
      if (def.name === 'dashboard') {
        ui.getState().notify('You are in the dashboard already.', 'info');
        return;
      }
      if (opts.cli && !IN_PROCESS.has(def.name) && !def.shellOnly) {
        // The child routes free text itself (the same router) and says so in its first line.
        return trackChild(text, words, `agent ${def.name}`);
      }
      await track(text, async (ctx) => {
        if (routed) ctx.out.line('ORCHESTRATOR', 'info', routed);
        return runCommand(def, ctx, input);
      }, `agent ${def.name}`);
    },

    dialog() {
      const u = ui.getState();
      return chooseDialog(data.getState().pendingApprovals, carrying.size ? [...u.snoozed, ...carrying] : u.snoozed, u.deployChooser);
    },

    async decide(decision) {
      const dlg = d.dialog();
      if (dlg?.type !== 'approval') return;
      const a = dlg.approval;
      const u = ui.getState();
      const typed = u.confirm.approvalId === a.id ? u.confirm.text : '';
      if (decision === 'approved' && a.confirm === 'typed') {
        const want = confirmationText(a);
        if (typed.trim().toUpperCase() !== want.toUpperCase()) {
          u.setConfirm(a.id, typed, typed.trim() ? `"${typed.trim()}" is not ${want}: type ${want} exactly to approve` : `type ${want} to approve (n rejects)`);
          return;
        }
      }
      // An action only a shell may carry out, whose requester no longer waits: approving it here
      // would use the approval up and do nothing. It stays pending for `agent approve` in a shell.
      const resumes = commands.find((c) => c.name === resumeOf(a)?.command);
      if (decision === 'approved' && resumes?.shellOnly && !requesterCarriesOn(a)) {
        u.setConfirm(a.id, '', `only a shell can carry this out now that its requester has gone: \`agent ${approveCommand(a)}\` there (n rejects)`);
        return;
      }
      if (decision === 'approved' && opts.cli && resumes && !requesterCarriesOn(a)) {
        // Nobody waits to carry it out: `agent approve` in a child decides it and does the work
        // there (a deploy must not run inside the UI process). The dialog steps aside meanwhile.
        carrying.add(a.id);
        u.setConfirm(null, '');
        u.notify(`Approving ${a.id}: agent ${resumes.name} runs in the background`, 'ok');
        const words = ['approve', a.id, ...(a.confirm === 'typed' ? ['--confirm', confirmationText(a)] : [])];
        print(`› ${words.map((w) => printable(w)).join(' ')}`, 'input');
        try {
          await trackChild(`approve ${a.id}`, words, 'agent approve');
        } finally {
          carrying.delete(a.id);
          sync();
        }
        return;
      }
      let row: ApprovalRow;
      try {
        // The dialog checked the typed confirmation itself, so decide() need not.
        row = state.withBusyTimeout(DECIDE_BUSY_MS, () => decide(state, a.id, decision, { by: 'dashboard', reason: decision === 'rejected' ? 'rejected in the dashboard' : null, confirmed: true }));
      } catch (err) {
        if (isBusy(err)) {
          // Nothing was decided: the dialog stays as it was, for another Enter in a moment.
          u.setConfirm(a.id, typed, 'another process holds the state database\'s write lock: nothing decided yet, try again in a moment');
          return;
        }
        u.setConfirm(null, '');
        printError(err);
        sync();
        return;
      }
      ui.getState().setConfirm(null, '');
      sync();
      ui.getState().notify(`${decision === 'approved' ? '✓ Approved' : '✗ Rejected'} ${row.id}: ${row.action}`, decision === 'approved' ? 'ok' : 'warn');
      if (decision === 'approved') await carryOut(row);
    },

    openTicket(id) {
      let m;
      try {
        m = loadTicket(state, id);
      } catch (err) {
        printError(err);
        return false;
      }
      if (!m) {
        ui.getState().notify(`${printable(id)}: no such ticket`, 'warn');
        return false;
      }
      ticketReadAt = data.getState().lastEventId;
      ui.getState().openTicket(m);
      return true;
    },

    deploy() {
      const def = commands.find((c) => c.name === 'deploy');
      if (!def) {
        ui.getState().notify('This command set has no `deploy` command.', 'warn');
        return;
      }
      const target = def.args?.find((a) => Array.isArray(a.complete));
      if (!target) {
        ui.getState().setPrompt('deploy ', true);
        ui.getState().setFocus('prompt');
        return;
      }
      ui.getState().openDeployChooser([...(target.complete as readonly string[])]);
    },

    async chooseDeploy(target) {
      ui.getState().closeDeployChooser();
      await d.submit(`deploy ${target}`);
    },

    refresh() {
      try {
        data.getState().refresh();
        data.getState().followLog();
        sync();
        ui.getState().notify('Refreshed from the state database.', 'ok');
      } catch (err) {
        printError(err);
      }
    },

    completePrompt() {
      const u = ui.getState();
      const s = data.getState();
      const agents = [...new Set([...s.agents.map((a) => a.id), ...s.events.map((e) => e.agent).filter((x): x is string => !!x)])];
      const result = complete(u.prompt.value, commands, { tickets: s.ticketIds, approvals: s.pendingApprovals.map((a) => a.id), agents });
      if (result.value !== u.prompt.value) u.setPrompt(result.value, true);
      u.setCandidates(result.candidates.length > 1 ? result.candidates : []);
    },

    interrupt() {
      const now = performance.now();
      const again = now - lastInterrupt < QUIT_AGAIN_MS;
      lastInterrupt = now;
      if (running.size && !again) {
        for (const r of running.values()) r.cancel();
        ui.getState().notify(`Cancelling ${running.size} running command${running.size === 1 ? '' : 's'}; Ctrl-C again quits.`, 'warn');
        return;
      }
      d.quit();
    },

    quit() {
      for (const r of running.values()) r.cancel();
      resolveQuit();
    },

    layout() {
      const u = ui.getState();
      const dlg = d.dialog();
      const dialogLines =
        dlg?.type === 'approval'
          ? approvalLines(dlg.approval, u.confirm, dlg.others, Date.now()).length
          : dlg?.type === 'deploy'
            ? deployChooserLines(dlg.choices).length
            : 0;
      return computeLayout(u.rows, {
        columns: u.columns,
        agents: visibleAgents(data.getState().agents, Date.now()).length,
        logsMaximized: u.logsMaximized,
        helpOpen: u.help.open || u.ticket !== null,
        dialogLines,
      });
    },

    async settle(timeoutMs = 2000) {
      const all = Promise.all([...running.values()].map((r) => r.done));
      await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    },
  };

  /** After an approval: the process that asked carries on by itself if it is still waiting. */
  async function carryOut(row: ApprovalRow): Promise<void> {
    const resumed = resumeOf(row);
    if (!resumed || askedHere.has(row.id)) return;
    const ticketId = row.ticket_id ?? undefined;
    if (requesterCarriesOn(row)) {
      const who = row.run_id ? `${row.run_id} (process ${row.requester_pid})` : `process ${row.requester_pid}`;
      reporter(null).line('ORCHESTRATOR', 'info', `${who} was waiting for ${row.id} and continues now`, { ticketId });
      return;
    }
    const { command, args } = resumed;
    await track(`agent ${command}`, async (ctx) => {
      ctx.out.line('ORCHESTRATOR', 'info', `Carrying out: agent ${command}`, { ticketId });
      return ctx.dispatch(command, args, row);
    });
  }

  installKeys(d);
  return d;
}

const PLAIN = makeStyle(false);

/** The last non-empty line of a child's stderr, made safe to show. */
function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length ? printable(redact(lines[lines.length - 1]!)).slice(0, 200) : '';
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || /database is locked/.test(String((err as Error)?.message));
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** Redacted before it is cut: a secret cut in two would no longer be recognised. */
function clip(s: string): string {
  return redactClip(s, 60);
}
