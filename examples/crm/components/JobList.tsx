// The jobs table. A server component: no hooks and no 'use client'; the page that shows it reads
// the rows and hands them in (app/jobs/page.tsx).
export interface Job {
  id: string;
  customer_id: string;
  title: string;
  status: string;
  scheduled_for: string | null;
}

export interface JobListProps {
  jobs: Job[];
}

export function JobList({ jobs }: JobListProps) {
  if (!jobs.length) return <p className="empty">No jobs yet.</p>;
  return (
    <table className="list">
      <thead>
        <tr>
          <th>Title</th>
          <th>Status</th>
          <th>Scheduled for</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.id}>
            <td>{job.title}</td>
            <td>{job.status}</td>
            <td>{job.scheduled_for ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
