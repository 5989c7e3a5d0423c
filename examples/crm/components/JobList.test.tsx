import { describe, expect, it } from 'vitest';
import { staticMarkup } from '../lib/testing/static-markup';
import { JobList } from './JobList';

describe('JobList', () => {
  it('shows one row per job', () => {
    const html = staticMarkup(
      <JobList
        jobs={[
          { id: 'j1', customer_id: 'c1', title: 'Boiler service', status: 'scheduled', scheduled_for: '2026-12-01T09:00:00Z' },
          { id: 'j2', customer_id: 'c1', title: 'Leak repair', status: 'done', scheduled_for: null },
        ]}
      />,
    );
    expect(html).toContain('<th>Title</th><th>Status</th><th>Scheduled for</th>');
    expect(html).toContain('<td>Boiler service</td><td>scheduled</td><td>2026-12-01T09:00:00Z</td>');
    expect(html).toContain('<td>Leak repair</td><td>done</td><td></td>');
  });

  it('says so when there are no jobs', () => {
    expect(staticMarkup(<JobList jobs={[]} />)).toBe('<p class="empty">No jobs yet.</p>');
  });
});
