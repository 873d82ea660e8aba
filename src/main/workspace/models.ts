import { existsSync } from 'node:fs';
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
