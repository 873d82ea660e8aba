import { tintInto } from '../brush/correction';
import { hexToRgb } from '../overlay/colour';
import { alphaOf, rgbaOf } from './label-session';
import { layerOf, paintValues, structureAlpha, withLayer } from './label-map';

/**
 * The editable label at the image's full resolution: a label map (label-map.ts) and, on top of it,
 * the layer of the value being painted — white where on, transparent elsewhere — which brush,
 * eraser, lasso and a SAM proposal paint on exactly as they paint a binary label. A snapshot writes
 * the layer into the map; the other values are drawn from the map in their own colours beneath it.
 */
export class LabelCanvas {
  /** The layer the tools paint on (the selected value). */
  readonly canvas = document.createElement('canvas');
  readonly ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
  private map: Uint8Array = new Uint8Array(0);
  private value = 1;
  /** Every other value in its colour, redrawn when the map, the selection or the colours change. */
  private readonly others = document.createElement('canvas');
  private othersColours: ReadonlyMap<number, string> | null = null;
  private readonly tinted = document.createElement('canvas');
  private readonly composite = document.createElement('canvas');

  /** The value the tools paint. */
  get selected(): number {
    return this.value;
  }

  /** Starts from a label map (0 background, schema values, 255 ignore) or, with null, from nothing. */
  load(map: Uint8Array | null, width: number, height: number): void {
    if (map && map.length !== width * height) throw new Error(`the label map has ${map.length} pixels, the image ${width}×${height}`);
    for (const c of [this.canvas, this.others, this.tinted, this.composite]) {
      c.width = width;
      c.height = height;
    }
    this.restore(map ?? new Uint8Array(width * height));
  }

  /** Paints `value` from now on; the layer painted so far is written into the map first. */
  select(value: number): void {
    if (value === this.value) return;
    this.commit();
    this.value = value;
    this.redrawFromMap();
  }

  /** The label map as it is now (the layer written in): what history keeps and a save sends. Never mutated later. */
  snapshot(): Uint8Array {
    this.commit();
    this.redrawFromMap();
    return this.map;
  }

  /** Puts a snapshot back. */
  restore(map: Uint8Array): void {
    this.map = map;
    this.redrawFromMap();
  }

  /** Replaces the selected value's pixels with a binary alpha (a SAM proposal); snapshot() records it. */
  pasteLayer(alpha: Uint8Array): void {
    putCanvasAlpha(this.canvas, alpha);
  }

  /** 255 where any structure is (the ignore region left out), layer included: what a label ROI measures. */
  structureAlpha(): Uint8Array {
    return structureAlpha(withLayer(this.map, canvasAlpha(this.canvas), this.value));
  }

  /** The label to draw over the image: every value in `colours`, the layer being painted on top. */
  render(colours: ReadonlyMap<number, string>): HTMLCanvasElement {
    if (colours !== this.othersColours) this.paintOthers(colours);
    const out = this.composite;
    const ctx = out.getContext('2d')!;
    ctx.clearRect(0, 0, out.width, out.height);
    ctx.drawImage(this.others, 0, 0);
    ctx.drawImage(tintInto(this.tinted, this.canvas, colours.get(this.value) ?? '#ffffff'), 0, 0);
    return out;
  }

  private commit(): void {
    if (this.map.length) this.map = withLayer(this.map, canvasAlpha(this.canvas), this.value);
  }

  private redrawFromMap(): void {
    putCanvasAlpha(this.canvas, layerOf(this.map, this.value));
    if (this.othersColours) this.paintOthers(this.othersColours);
  }

  private paintOthers(colours: ReadonlyMap<number, string>): void {
    this.othersColours = colours;
    const { width, height } = this.others;
    if (!width || !height) return;
    const ctx = this.others.getContext('2d')!;
    const data = ctx.createImageData(width, height);
    const rgb = new Map([...colours].map(([v, hex]) => [v, hexToRgb(hex)] as const));
    paintValues(this.map, width, this.value, (v) => rgb.get(v) ?? null, data.data);
    ctx.putImageData(data, 0, 0);
  }
}

/** The alpha of an editable mask canvas (white = on, transparent = off). */
export function canvasAlpha(canvas: HTMLCanvasElement): Uint8Array {
  return alphaOf(canvas.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, canvas.width, canvas.height).data);
}

/** Puts an alpha snapshot back on an editable mask canvas of the same size. */
export function putCanvasAlpha(canvas: HTMLCanvasElement, alpha: Uint8Array): void {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const data = ctx.createImageData(canvas.width, canvas.height);
  rgbaOf(alpha, data.data);
  ctx.putImageData(data, 0, 0);
}
