// /jobs: reads the rows on the server and renders the list.
import { JobList, type Job } from '../../components/JobList';
import { getDb } from '../../lib/db';

export default async function JobsPage() {
  const { data, error } = await getDb().from('jobs').select();
  if (error) throw new Error(error.message);
  return (
    <main>
      <h1>Jobs</h1>
      <JobList jobs={data as unknown as Job[]} />
    </main>
  );
}
