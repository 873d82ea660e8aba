import { copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { putFileStreaming } from './blob-stream';
import { releaseBlob } from './blob-release';
import type { Workspace } from './workspace';

/** A `models` row; the caller gives `files` and `interface` their types. */
export interface ModelRecord {
  id: number;
  family: string;
  name: string;
  files: unknown;
  interface: unknown;
  createdAt: string;
}

interface ModelRow {
  id: number;
  family: string;
  name: string;
  files: string;
  interface: string;
  created_at: string;
}

const COLUMNS = 'id, family, name, files, interface, created_at';

function toRecord(r: ModelRow): ModelRecord {
  return { id: r.id, family: r.family, name: r.name, files: JSON.parse(r.files), interface: JSON.parse(r.interface), createdAt: r.created_at };
}

/** Streams a (possibly multi-GB) model file into the blob store; see putFileStreaming. */
export function storeModelFile(ws: Workspace, path: string, opts: { watch?: Uint8Array } = {}) {
  return putFileStreaming(ws.blobs, path, opts);
}

/** Removes a model file stored by a failed add, unless a row names it. */
export function dropModelFile(ws: Workspace, sha256: string): void {
  releaseBlob(ws, sha256);
}

/** The stored copy of a model file; `missingFrom` names the store when its blob is gone. */
export function modelFilePath(ws: Workspace, sha256: string): { path: string; missingFrom: string | null } {
  const path = ws.blobs.path(sha256);
  return { path, missingFrom: existsSync(path) ? null : ws.blobs.root };
}

/**
 * A folder holding a model file and its external-data files under the names the model gives them
 * (onnxruntime looks for them beside the model): `<blobs>/teacher-run/<model sha256>/model.onnx`
 * and each location, hard links to the blobs (a copy where links are not possible). Made once,
 * each entry atomically (temp name + rename), so a reader never sees a partial file.
 */
export function modelRunFolder(ws: Workspace, sha256: string, data: readonly { location: string; sha256: string; bytes: number }[]): string {
  const folder = join(ws.blobs.root, 'teacher-run', sha256);
  const place = (blob: string, name: string, bytes?: number) => {
    const target = join(folder, name);
    if (existsSync(target) && (bytes === undefined || statSync(target).size === bytes)) return;
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      linkSync(ws.blobs.path(blob), tmp);
    } catch {
      copyFileSync(ws.blobs.path(blob), tmp);
    }
    try {
      renameSync(tmp, target);
    } finally {
      rmSync(tmp, { force: true });
    }
  };
  place(sha256, 'model.onnx');
  for (const d of data) place(d.sha256, d.location, d.bytes);
  return join(folder, 'model.onnx');
}

export function insertTeacherModel(
  ws: Workspace,
  m: { family: string; name: string; files: unknown; interface: unknown; createdAt: string },
): number {
  const info = ws.db
    .prepare(`INSERT INTO models (role, family, name, files, interface, created_at) VALUES ('teacher', ?, ?, ?, ?, ?)`)
    .run(m.family, m.name, JSON.stringify(m.files), JSON.stringify(m.interface), m.createdAt);
  return Number(info.lastInsertRowid);
}

export function teacherModelRecords(ws: Workspace): ModelRecord[] {
  return (ws.db.prepare(`SELECT ${COLUMNS} FROM models WHERE role = 'teacher' ORDER BY id`).all() as ModelRow[]).map(toRecord);
}

/** The teacher with this id, or the most recently added one; null when there is none. */
export function teacherModelRecord(ws: Workspace, id?: number): ModelRecord | null {
  const row = (
    id === undefined
      ? ws.db.prepare(`SELECT ${COLUMNS} FROM models WHERE role = 'teacher' ORDER BY id DESC LIMIT 1`).get()
      : ws.db.prepare(`SELECT ${COLUMNS} FROM models WHERE role = 'teacher' AND id = ?`).get(id)
  ) as ModelRow | undefined;
  return row ? toRecord(row) : null;
}
