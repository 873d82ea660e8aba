import type { ImportFailure, ImportResult, MaskFileReport } from '../../shared/contract';
import { decodeLabelMapPng, encodeLabelMapPng, type GroundTruthPngs, type LabelMap } from '../imaging/mask';
import { ruleMaskFile, type MaskRuleSettings, type RuledMaskFile } from '../imaging/mask-rules';
import { ensureStructures, structureValues } from './labels';
import { saveLabelMap } from './masks';
import type { Workspace } from './workspace';

export interface MaskImportOptions {
  /** The masks' value for "ignore" (1..255), stored as IGNORE_LABEL; null: none. */
  ignore?: number | null;
  /** Label-map values the schema lacks become new structures instead of an error for that file. */
  newStructures?: boolean;
}

/** A mask file whose values fit a rule, at its image's size, ready to store. */
export interface ReadyMask {
  file: string;
  map: LabelMap;
  empty: boolean;
  newValues: number[];
  report: MaskFileReport;
  /** What it is stored as (`writeAhead` writes them before the image's transaction). */
  pngs: GroundTruthPngs;
}

/**
 * The masks of one import: each file is read by the mask rules and reported (values seen, share per
 * structure). Empty masks are held back (as tiny PNGs) until a mask with a structure arrives, so a
 * folder whose masks are all empty — values a rule could not see — is reported, never stored as labels.
 */
export class MaskImport {
  private readonly ignore: number | null;
  private readonly newStructures: boolean;
  private readonly heldBack: { imageId: number; file: string; png: Buffer; report: MaskFileReport }[] = [];
  private sawStructure = false;

  constructor(
    private readonly ws: Workspace,
    private readonly result: ImportResult,
    opts: MaskImportOptions,
  ) {
    const ignore = opts.ignore ?? null;
    if (ignore !== null && !(Number.isInteger(ignore) && ignore >= 1 && ignore <= 255)) {
      throw new Error(`the ignore value must be a whole number from 1 to 255 (got ${ignore})`);
    }
    this.ignore = ignore;
    this.newStructures = opts.newStructures ?? false;
    if (ignore !== null) result.ignoreValue = ignore;
  }

  /** What the rules read besides a file's values, for `ruleMaskFile` here or in a decode process. */
  ruleSettings(): MaskRuleSettings {
    return { ignore: this.ignore, known: [...structureValues(this.ws)], newStructures: this.newStructures };
  }

  /** Applies the rules to a decoded mask of an image of this size; null when the file is reported instead. */
  read(file: string, raw: LabelMap, lossy: boolean, width: number, height: number): ReadyMask | null {
    return this.accept(file, ruleMaskFile(raw, lossy, this.ruleSettings()), width, height);
  }

  /**
   * A mask file the rules have read (a decode process does, next to its decode; the schema's values
   * it was given may be a few files old, which only matters with `newStructures`, where adding a
   * structure twice adds it once), for an image of this size; null when the file is reported instead.
   */
  accept(file: string, m: RuledMaskFile, width: number, height: number): ReadyMask | null {
    if (m.width !== width || m.height !== height) {
      return this.fail(file, `mask is ${m.width}×${m.height} but its image is ${width}×${height}; mask skipped`);
    }
    if ('error' in m) return this.fail(file, m.error);
    const { ruled, fractions, pngs } = m;
    const report: MaskFileReport = { file, rule: ruled.rule, values: ruled.values, ...fractions, stored: false };
    (this.result.maskFiles ??= []).push(report);
    return { file, map: ruled.map, empty: ruled.rule === 'empty', newValues: ruled.newValues, report, pngs };
  }

  /**
   * Writes the blobs `store` will reference, before the image's transaction and off the main
   * thread, so the transaction only finds them there. An empty mask that will be held back is not
   * written: it may never be stored.
   */
  async writeAhead(ready: ReadyMask): Promise<void> {
    if (ready.empty && !this.sawStructure) return;
    const { mask, labelMap } = ready.pngs;
    await this.ws.blobs.putAll(labelMap ? [mask, labelMap] : [mask]);
  }

  /** Stores a ready mask as the image's ground truth (or holds an empty one back); call in the image's transaction. */
  store(imageId: number, ready: ReadyMask): void {
    if (ready.empty && !this.sawStructure) {
      this.heldBack.push({ imageId, file: ready.file, png: encodeLabelMapPng(ready.map), report: ready.report });
      return;
    }
    if (ready.newValues.length) this.result.newStructures = [...(this.result.newStructures ?? []), ...ensureStructures(this.ws, ready.newValues)];
    this.save(imageId, ready.file, ready.map, ready.report, ready.pngs);
    if (!this.sawStructure) {
      this.sawStructure = true;
      for (const h of this.heldBack.splice(0)) this.save(h.imageId, h.file, decodeLabelMapPng(h.png), h.report);
    }
  }

  /** Reports the held-back masks when no mask of the import had a structure. */
  finish(masksFolder: string): void {
    if (this.heldBack.length === 0) return;
    this.result.failed.push({
      file: masksFolder,
      error:
        `all ${this.heldBack.length} masks are empty (no pixel of any structure): none stored as labels, the images stay unlabeled. ` +
        'Check the mask values (0/255, 0/1 or 0..K) and the ignore value',
    });
    this.heldBack.length = 0;
  }

  private save(imageId: number, file: string, map: LabelMap, report: MaskFileReport, pngs?: GroundTruthPngs): void {
    saveLabelMap(this.ws, imageId, map, 'imported', { sourcePath: file, pngs });
    report.stored = true;
    this.result.masks += 1;
  }

  /** A mask file that could not be read at all (its decoder's reason). */
  reportFailure(failure: ImportFailure): void {
    this.result.failed.push(failure);
  }

  private fail(file: string, error: string): null {
    this.result.failed.push({ file, error });
    return null;
  }
}
