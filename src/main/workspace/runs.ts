import type { MetricPoint, RunSummary } from '../../shared/contract';
import { processAlive } from '../util/process-alive';
import { releaseBlob } from './blob-release';
import { nowIso, type Workspace } from './workspace';

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
  owner_pid: number | null;
  heartbeat_at: string | null;
}

function toSummary(r: RunRecord): RunSummary {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    backend: r.backend,
    splitId: r.split_id,
    config: JSON.parse(r.config) as RunSummary['config'],
    result: r.result ? (JSON.parse(r.result) as RunSummary['result']) : null,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export function listRuns(ws: Workspace): RunSummary[] {
  reapOrphanedRuns(ws);
  return (ws.db.prepare('SELECT * FROM runs ORDER BY id DESC').all() as RunRecord[]).map(toSummary);
}

export function runMetrics(ws: Workspace, runId: number): MetricPoint[] {
  return ws.db.prepare('SELECT epoch, name, value FROM metrics WHERE run_id = ? ORDER BY epoch, name').all(runId) as MetricPoint[];
}

// ---- the run's own lifecycle: create, epochs (metrics + checkpoint), interrupt, finish

/** A run as stored; `config` and `result` are the JSON the trainer wrote. */
export interface StoredRun {
  id: number;
  kind: string;
  status: RunSummary['status'];
  splitId: number | null;
  backend: string | null;
  config: unknown;
  result: unknown;
  checkpointBlob: string | null;
}

interface StoredRow extends RunRecord {
  checkpoint_blob: string | null;
}

function toStored(r: StoredRow): StoredRun {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    splitId: r.split_id,
    backend: r.backend,
    config: JSON.parse(r.config) as unknown,
    result: r.result ? (JSON.parse(r.result) as unknown) : null,
    checkpointBlob: r.checkpoint_blob,
  };
}

export function getRun(ws: Workspace, runId: number): StoredRun | null {
  const row = ws.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as StoredRow | undefined;
  return row ? toStored(row) : null;
}

/** The most recent finished run of this kind, or null. */
export function latestDoneRun(ws: Workspace, kind: string): StoredRun | null {
  const row = ws.db.prepare(`SELECT * FROM runs WHERE kind = ? AND status = 'done' ORDER BY id DESC LIMIT 1`).get(kind) as StoredRow | undefined;
  return row ? toStored(row) : null;
}

export function runKind(ws: Workspace, runId: number): string | null {
  return (ws.db.prepare('SELECT kind FROM runs WHERE id = ?').get(runId) as { kind: string } | undefined)?.kind ?? null;
}

/** The best-validation weights blob a run's result names (null while it has none). */
export function bestWeightsBlob(run: StoredRun): string | null {
  return (run.result as { best?: { blob?: string | null } } | null)?.best?.blob ?? null;
}

/** Bytes of a weights or checkpoint blob a run names. */
export function readRunBlob(ws: Workspace, blob: string): Buffer {
  return ws.blobs.get(blob);
}

/** Where a run's weights blob lives, for code that reads weights from a file (initial weights of a run). */
export function runBlobPath(ws: Workspace, blob: string): string {
  return ws.blobs.path(blob);
}

/** Stores best-so-far weights; the run references them from its next epoch record. */
export function storeRunWeights(ws: Workspace, bytes: Uint8Array): string {
  return ws.blobs.put(bytes);
}

export function createRun(ws: Workspace, run: { kind: string; splitId: number; backend: string; config: unknown }): number {
  const now = nowIso();
  const info = ws.db
    .prepare(
      `INSERT INTO runs (kind, status, split_id, backend, config, started_at, owner_pid, heartbeat_at) VALUES (?, 'running', ?, ?, ?, ?, ?, ?)`,
    )
    .run(run.kind, run.splitId, run.backend, JSON.stringify(run.config), now, process.pid, now);
  return Number(info.lastInsertRowid);
}

// A live owner beats every HEARTBEAT_MS; a pid that is alive but silent this long is another
// process that reused the pid after the owner died.
const HEARTBEAT_MS = 30_000;
const STALE_MS = 30 * 60_000;

export class RunLockedError extends Error {}

type Ownership = Pick<RunRecord, 'id' | 'status' | 'owner_pid' | 'heartbeat_at'>;

function ownedByLiveProcess(r: Ownership): boolean {
  if (r.status !== 'running' || r.owner_pid === null) return false;
  if (r.owner_pid === process.pid) return true;
  const silentMs = r.heartbeat_at ? Date.now() - Date.parse(r.heartbeat_at) : Infinity;
  return processAlive(r.owner_pid) && silentMs < STALE_MS;
}

/**
 * A run left "running" by a process that is gone (killed, crashed, machine restarted) is marked
 * interrupted, so it offers Resume instead of looking busy for ever. Returns the runs it marked.
 */
export function reapOrphanedRuns(ws: Workspace): number[] {
  const rows = ws.db.prepare(`SELECT id, status, owner_pid, heartbeat_at FROM runs WHERE status = 'running'`).all() as Ownership[];
  const dead = rows.filter((r) => !ownedByLiveProcess(r)).map((r) => r.id);
  const mark = ws.db.prepare(`UPDATE runs SET status = 'interrupted', owner_pid = NULL WHERE id = ? AND status = 'running'`);
  for (const id of dead) mark.run(id);
  return dead;
}

/**
 * A resumed run runs again in this process; its record says when the engine it runs on changed.
 * Refused, naming the owner, while another live process runs it.
 */
export function markRunResumed(ws: Workspace, runId: number, backend: string | null): void {
  ws.transaction(() => {
    const r = ws.db.prepare('SELECT id, status, owner_pid, heartbeat_at FROM runs WHERE id = ?').get(runId) as Ownership | undefined;
    if (r && r.owner_pid !== process.pid && ownedByLiveProcess(r)) {
      const ago = r.heartbeat_at ? `${Math.round((Date.now() - Date.parse(r.heartbeat_at)) / 1000)} s ago` : 'never';
      throw new RunLockedError(`run ${runId} is being run by process ${r.owner_pid} (last sign of life ${ago}); wait for it to finish or cancel it first`);
    }
    ws.db.prepare(`UPDATE runs SET status = 'running', finished_at = NULL, owner_pid = ?, heartbeat_at = ? WHERE id = ?`).run(process.pid, nowIso(), runId);
    if (backend !== null) ws.db.prepare('UPDATE runs SET backend = ? WHERE id = ?').run(backend, runId);
  });
}

export function markRunInterrupted(ws: Workspace, runId: number): void {
  ws.db.prepare(`UPDATE runs SET status = 'interrupted', owner_pid = NULL WHERE id = ?`).run(runId);
}

/** Keeps the run's sign of life fresh while `work` runs (between training steps the loop yields). */
export async function whileRunAlive<T>(ws: Workspace, runId: number, work: () => Promise<T>): Promise<T> {
  const beat = setInterval(() => {
    try {
      ws.db.prepare('UPDATE runs SET heartbeat_at = ? WHERE id = ? AND owner_pid = ?').run(nowIso(), runId, process.pid);
    } catch {
      // A busy database delays one beat; the next one comes in HEARTBEAT_MS.
    }
  }, HEARTBEAT_MS);
  beat.unref();
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

/**
 * Records a finished epoch: the checkpoint blob is written first, then the epoch's metrics and the
 * run's reference to the checkpoint (and its progress result) in one transaction, so a kill leaves
 * either the previous epoch or this one. Blobs the run no longer names (the previous checkpoint,
 * `replaced` weights) are released afterwards.
 */
export function recordEpoch(
  ws: Workspace,
  runId: number,
  epoch: { epoch: number; metrics: Record<string, number>; checkpoint: Uint8Array; result: unknown; replaced?: string | null },
): string {
  const ckBlob = ws.blobs.put(epoch.checkpoint);
  const prevCk = (ws.db.prepare('SELECT checkpoint_blob FROM runs WHERE id = ?').get(runId) as { checkpoint_blob: string | null }).checkpoint_blob;
  ws.transaction(() => {
    const ins = ws.db.prepare('INSERT OR REPLACE INTO metrics (run_id, epoch, name, value) VALUES (?, ?, ?, ?)');
    for (const [name, value] of Object.entries(epoch.metrics)) ins.run(runId, epoch.epoch, name, value);
    ws.db
      .prepare('UPDATE runs SET checkpoint_blob = ?, result = ?, heartbeat_at = ? WHERE id = ?')
      .run(ckBlob, JSON.stringify(epoch.result), nowIso(), runId);
  });
  if (prevCk && prevCk !== ckBlob) releaseBlob(ws, prevCk);
  if (epoch.replaced) releaseBlob(ws, epoch.replaced);
  return ckBlob;
}

export function finishRun(ws: Workspace, runId: number, result: unknown): void {
  ws.db
    .prepare(`UPDATE runs SET status = 'done', result = ?, finished_at = ?, owner_pid = NULL WHERE id = ?`)
    .run(JSON.stringify(result), nowIso(), runId);
}
