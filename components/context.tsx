// The dashboard reaches components through one context; components select from its two stores.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AgentStoreState } from '../src/store/store.js';
import type { Dashboard } from './controller.js';
import type { UiState } from './ui-store.js';

export const DashboardContext = createContext<Dashboard | null>(null);

export function useDashboard(): Dashboard {
  const d = useContext(DashboardContext);
  if (!d) throw new Error('dashboard components must be rendered inside <App dashboard={…}>');
  return d;
}

/** Selects from the data store (a projection of SQLite). Selectors must return stable values. */
export function useData<T>(selector: (s: AgentStoreState) => T): T {
  return useStore(useDashboard().data, selector);
}

/** Selects from the UI store. */
export function useUi<T>(selector: (s: UiState) => T): T {
  return useStore(useDashboard().ui, selector);
}
