// The dashboard's root: the layout (one row shorter than the terminal), the one input hook that
// feeds the key router, and the panes. Every pane gets an exact height and renders only the rows
// that fit, with truncated lines, so no box needs clipping (Ink's clipping re-slices every
// string of every frame: it was most of a frame's cost).
// Input: Ink's stdin events are taken raw (not through useInput, which reads a whole read as one
// key) and fed to the controller, which splits them into keys and routes each by the focus.
import { useEffect } from 'react';
import { Box, useStdin } from 'ink';
import type { Dashboard } from './controller.js';
import { DashboardContext, useDashboard, useData, useUi } from './context.js';
import { Header } from './Header.js';
import { AgentsPane } from './AgentsPane.js';
import { ActivityPane } from './ActivityPane.js';
import { LogPane } from './LogPane.js';
import { HelpOverlay } from './HelpOverlay.js';
import { TicketView } from './TicketView.js';
import { DialogManager } from './DialogManager.js';
import { Footer } from './Footer.js';

export function App({ dashboard }: { dashboard: Dashboard }) {
  return (
    <DashboardContext.Provider value={dashboard}>
      <Screen />
    </DashboardContext.Provider>
  );
}

function Screen() {
  const d = useDashboard();
  const { setRawMode, internal_eventEmitter: input } = useStdin();
  useEffect(() => {
    setRawMode(true);
    const feed = (chunk: string) => d.feed(chunk);
    input.on('input', feed);
    return () => {
      input.off('input', feed);
      setRawMode(false);
    };
  }, [d, input, setRawMode]);
  // What the layout depends on: terminal size, overlays, the dialog, how many agents show.
  const columns = useUi((s) => s.columns);
  useUi((s) => s.rows);
  const helpOpen = useUi((s) => s.help.open);
  useUi((s) => s.ticket !== null);
  useUi((s) => s.logsMaximized);
  useUi((s) => s.confirm);
  useUi((s) => s.snoozed);
  useUi((s) => s.deployChooser);
  useUi((s) => s.tick);
  useData((s) => s.pendingApprovals);
  useData((s) => s.agents);
  const layout = d.layout();
  const agentsWidth = Math.floor(columns * 0.58);
  return (
    <Box flexDirection="column" width={columns} height={layout.height}>
      <Header height={layout.header} />
      {layout.help > 0 ? (
        helpOpen ? (
          <HelpOverlay height={layout.help} />
        ) : (
          <TicketView height={layout.help} />
        )
      ) : (
        <>
          {layout.top > 0 ? (
            <Box height={layout.top} flexShrink={0} flexDirection={layout.stacked ? 'column' : 'row'}>
              <AgentsPane height={layout.agents} width={layout.stacked ? columns : agentsWidth} />
              <ActivityPane height={layout.activity} width={layout.stacked ? columns : columns - agentsWidth} />
            </Box>
          ) : null}
          <LogPane height={layout.log} visible={layout.logVisible} />
        </>
      )}
      <DialogManager height={layout.bottom} />
      <Footer />
    </Box>
  );
}
