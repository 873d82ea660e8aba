import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRun, getRun, listRuns, markRunResumed, RunLockedError } from '../../src/main/workspace/runs';
import { Workspace } from '../../src/main/workspace/workspace';
import { tempDir } from '../helpers/data';

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
afterAll(() => sleeper.kill('SIGKILL'));

function runOwnedBy(ws: Workspace, pid: number | null, heartbeatAgoMs: number): number {
  const id = createRun(ws, { kind: 'supervised', splitId: null as unknown as number, backend: 'test', config: {} });
  ws.db
    .prepare('UPDATE runs SET owner_pid = ?, heartbeat_at = ? WHERE id = ?')
    .run(pid, new Date(Date.now() - heartbeatAgoMs).toISOString(), id);
  return id;
}

describe('a run names the process that runs it', () => {
  const root = join(tempDir('ownership'), 'ws');
  const ws = Workspace.open(root, { create: true });
  afterAll(() => ws.close());

  it('a run whose process died is marked interrupted when the workspace opens', () => {
    const orphan = runOwnedBy(ws, deadPid(), 1_000);
    const legacy = runOwnedBy(ws, null, 1_000);
    const silent = runOwnedBy(ws, sleeper.pid!, 3 * 3_600_000); // pid alive but silent for hours: reused
    const live = runOwnedBy(ws, sleeper.pid!, 1_000);
    const reopened = Workspace.open(root);
    try {
      expect(getRun(reopened, orphan)!.status).toBe('interrupted');
      expect(getRun(reopened, legacy)!.status).toBe('interrupted');
      expect(getRun(reopened, silent)!.status).toBe('interrupted');
      expect(getRun(reopened, live)!.status).toBe('running');
    } finally {
      reopened.close();
    }
  });

  it('the run history shows a run as interrupted as soon as its process is gone', () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
    const id = runOwnedBy(ws, child.pid!, 0);
    expect(listRuns(ws).find((r) => r.id === id)!.status).toBe('running');
    return new Promise<void>((done) => {
      child.once('exit', () => {
        expect(listRuns(ws).find((r) => r.id === id)!.status).toBe('interrupted');
        done();
      });
      child.kill('SIGKILL');
    });
  });

  it('resuming a run another live process runs is refused, naming that process; a dead owner\'s run resumes', () => {
    const busy = runOwnedBy(ws, sleeper.pid!, 2_000);
    expect(() => markRunResumed(ws, busy, null)).toThrow(RunLockedError);
    expect(() => markRunResumed(ws, busy, null)).toThrow(new RegExp(`run ${busy} is being run by process ${sleeper.pid}`));
    const orphan = runOwnedBy(ws, deadPid(), 2_000);
    markRunResumed(ws, orphan, null);
    const row = ws.db.prepare('SELECT status, owner_pid FROM runs WHERE id = ?').get(orphan) as { status: string; owner_pid: number };
    expect(row).toEqual({ status: 'running', owner_pid: process.pid });
  });
});
