import type { MetricPoint, RunSummary } from '../../shared/contract';
import type { Workspace } from './workspace';

interface RunRecord {
  id: number;
  kind: string;
  status: RunSummary['status'];
  backend: string | null;
  split_id: number | null;
  config: string;
  result: string | null;
  started_at: string;
  finished_at: string | null;
}

function toSummary(r: RunRecord): RunSummary {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    backend: r.backend,
    splitId: r.split_id,
    config: JSON.parse(r.config) as Record<string, unknown>,
    result: r.result ? (JSON.parse(r.result) as Record<string, unknown>) : null,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export function listRuns(ws: Workspace): RunSummary[] {
  return (ws.db.prepare('SELECT * FROM runs ORDER BY id DESC').all() as RunRecord[]).map(toSummary);
}

export function runMetrics(ws: Workspace, runId: number): MetricPoint[] {
  return ws.db.prepare('SELECT epoch, name, value FROM metrics WHERE run_id = ? ORDER BY epoch, name').all(runId) as MetricPoint[];
}
