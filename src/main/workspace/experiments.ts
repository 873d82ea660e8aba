import { nowIso, type Workspace } from './workspace';

/** An experiment grid by name: its id and the spec JSON it was started with; null when new. */
export function findExperiment(ws: Workspace, name: string): { id: number; spec: string } | null {
  return (ws.db.prepare('SELECT id, spec FROM experiments WHERE name = ?').get(name) as { id: number; spec: string } | undefined) ?? null;
}

export function createExperiment(ws: Workspace, name: string, spec: string): number {
  return Number(ws.db.prepare('INSERT INTO experiments (name, spec, created_at) VALUES (?, ?, ?)').run(name, spec, nowIso()).lastInsertRowid);
}

export interface CellKey {
  experimentId: number;
  seed: number;
  ratio: number;
  schedule: string;
}

/** A grid cell's split and run, recorded as soon as they exist so an interrupted grid resumes. */
export function experimentCell(ws: Workspace, k: CellKey): { runId: number | null; splitId: number | null } | null {
  const row = ws.db
    .prepare('SELECT run_id, split_id FROM experiment_cells WHERE experiment_id = ? AND seed = ? AND ratio = ? AND schedule = ?')
    .get(k.experimentId, k.seed, k.ratio, k.schedule) as { run_id: number | null; split_id: number | null } | undefined;
  return row ? { runId: row.run_id, splitId: row.split_id } : null;
}

export function setExperimentCell(ws: Workspace, k: CellKey, cell: { splitId: number | null; runId: number | null }): void {
  ws.db
    .prepare(
      `INSERT INTO experiment_cells (experiment_id, seed, ratio, schedule, split_id, run_id) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (experiment_id, seed, ratio, schedule) DO UPDATE SET split_id = excluded.split_id, run_id = excluded.run_id`,
    )
    .run(k.experimentId, k.seed, k.ratio, k.schedule, cell.splitId, cell.runId);
}
