import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BlobStore } from './blobs';
import { MIGRATIONS } from './migrations';
import { reapOrphanedRuns } from './runs';
import { RemedyError } from '../util/errors';

export const DB_FILE = 'project.sqlite';

export class WorkspaceError extends Error {}

/** One project folder: `project.sqlite` (WAL, migrated at open) and a content-addressed blob store. */
export class Workspace {
  /** For the stores in this folder only: everything else goes through them (persistence-boundary test). */
  readonly db: Database.Database;
  /** Likewise: blobs are written, located and released by the stores. */
  readonly blobs: BlobStore;

  private constructor(readonly root: string) {
    this.db = new Database(join(root, DB_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.blobs = new BlobStore(join(root, 'blobs'));
    migrate(this.db, root);
    reapOrphanedRuns(this);
  }

  /** Opens an existing workspace; with `create`, makes the folder (empty or new) a workspace first. */
  static open(path: string, opts: { create?: boolean } = {}): Workspace {
    const root = resolve(path);
    const hasDb = existsSync(join(root, DB_FILE));
    if (!hasDb) {
      if (!opts.create)
        throw new RemedyError(`${root} is not an Apprentice workspace (no ${DB_FILE})`, {
          cli: `run "apprentice init ${path}" first`,
          app: 'press "New" to make it one, or open another folder',
        });
      if (existsSync(root) && readdirSync(root).length > 0) {
        throw new WorkspaceError(`${root} is not empty and holds no ${DB_FILE}; choose an empty or new folder`);
      }
      mkdirSync(root, { recursive: true });
    }
    return new Workspace(root);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}

function migrate(db: Database.Database, root: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new WorkspaceError(
      `${root} was written by a newer Apprentice (schema ${current}, this app knows ${MIGRATIONS.length}); update the app to open it`,
    );
  }
  if (current === MIGRATIONS.length) return;
  // SQLite's rule for rebuilding a table (ALTER TABLE, "other kinds of table schema changes"):
  // foreign keys off, so dropping the old table cascades to no child row, then checked before commit.
  db.pragma('foreign_keys = OFF');
  try {
    for (let v = current; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]!);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new WorkspaceError(`migration ${v + 1} would leave ${broken.length} rows pointing at nothing; ${root} is unchanged`);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
  } finally {
    db.pragma('foreign_keys = ON');
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}
