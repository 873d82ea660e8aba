import { LabelStructure, type CodedConcept } from '../../shared/contract';
import { DEFAULT_TERM, STRUCTURE_PALETTE } from '../../shared/label-codes';
import { nowIso, type Workspace } from './workspace';

/**
 * The workspace's label schema: the structures its ground truth may hold, each with its pixel value
 * in a stored label map (1..254), a display colour and the DICOM codes a SEG segment carries.
 * Every workspace has structure 1 (migration 6): a binary project is that one structure.
 * Label maps themselves are stored by masks.ts (`saveLabelMap`, `loadLabelMap`).
 */

interface StructureRow {
  value: number;
  name: string;
  color: string;
  category: string;
  type: string;
}

function toStructure(r: StructureRow): LabelStructure {
  return { value: r.value, name: r.name, color: r.color, category: JSON.parse(r.category) as CodedConcept, type: JSON.parse(r.type) as CodedConcept };
}

/** Every structure, by value. */
export function labelSchema(ws: Workspace): LabelStructure[] {
  return (ws.db.prepare('SELECT value, name, color, category, type FROM label_structures ORDER BY value').all() as StructureRow[]).map(toStructure);
}

export function labelStructure(ws: Workspace, value: number): LabelStructure | null {
  const row = ws.db.prepare('SELECT value, name, color, category, type FROM label_structures WHERE value = ?').get(value) as StructureRow | undefined;
  return row ? toStructure(row) : null;
}

/** The values a label map of this workspace may hold besides 0 and the ignore value. */
export function structureValues(ws: Workspace): Set<number> {
  return new Set((ws.db.prepare('SELECT value FROM label_structures').all() as { value: number }[]).map((r) => r.value));
}

export type NewStructure = Partial<Omit<LabelStructure, 'name'>> & { name: string };

/** Adds a structure; without a value it takes the lowest free one, without codes the default term's. */
export function addStructure(ws: Workspace, input: NewStructure): LabelStructure {
  return ws.transaction(() => {
    const taken = structureValues(ws);
    const value = input.value ?? firstFree(taken);
    if (taken.has(value)) throw new Error(`the label schema already has a structure with value ${value}`);
    const structure = LabelStructure.parse({
      value,
      name: input.name,
      color: input.color ?? STRUCTURE_PALETTE[(value - 1) % STRUCTURE_PALETTE.length],
      category: input.category ?? DEFAULT_TERM.category,
      type: input.type ?? DEFAULT_TERM.type,
    });
    ws.db
      .prepare('INSERT INTO label_structures (value, name, color, category, type, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(structure.value, structure.name, structure.color, JSON.stringify(structure.category), JSON.stringify(structure.type), nowIso());
    return structure;
  });
}

/** Renames, recolours or recodes a structure; its value (what stored label maps hold) never changes. */
export function updateStructure(ws: Workspace, value: number, patch: Partial<Omit<LabelStructure, 'value'>>): LabelStructure {
  const current = labelStructure(ws, value);
  if (!current) throw new Error(`the label schema has no structure with value ${value}`);
  const next = LabelStructure.parse({ ...current, ...patch, value });
  ws.db
    .prepare('UPDATE label_structures SET name = ?, color = ?, category = ?, type = ? WHERE value = ?')
    .run(next.name, next.color, JSON.stringify(next.category), JSON.stringify(next.type), value);
  return next;
}

/** Adds "Structure N" for each value the schema lacks (an import asked for new structures); returns those added. */
export function ensureStructures(ws: Workspace, values: Iterable<number>): LabelStructure[] {
  return ws.transaction(() => {
    const taken = structureValues(ws);
    const added: LabelStructure[] = [];
    for (const value of [...new Set(values)].sort((a, b) => a - b)) {
      if (!taken.has(value)) added.push(addStructure(ws, { value, name: `Structure ${value}` }));
    }
    return added;
  });
}

function firstFree(taken: Set<number>): number {
  for (let v = 1; v <= 254; v++) if (!taken.has(v)) return v;
  throw new Error('the label schema is full (254 structures)');
}
