// cornerstone-core ships no types: this is the small part of its API the viewer uses.
import cornerstoneModule from 'cornerstone-core';

export interface Viewport {
  scale: number;
  translation: { x: number; y: number };
  voi: { windowWidth: number; windowCenter: number };
  invert: boolean;
}

export interface CornerstoneImage {
  imageId: string;
  minPixelValue: number;
  maxPixelValue: number;
  slope: number;
  intercept: number;
  windowCenter: number;
  windowWidth: number;
  getPixelData: () => ArrayLike<number>;
  rows: number;
  columns: number;
  height: number;
  width: number;
  color: boolean;
  invert: boolean;
  sizeInBytes: number;
  columnPixelSpacing?: number;
  rowPixelSpacing?: number;
}

export interface EnabledElement {
  element: HTMLElement;
  canvas: HTMLCanvasElement;
  image?: CornerstoneImage;
  viewport?: Viewport;
}

interface Cornerstone {
  enable(el: HTMLElement): void;
  disable(el: HTMLElement): void;
  displayImage(el: HTMLElement, image: CornerstoneImage, viewport?: Partial<Viewport>): void;
  getViewport(el: HTMLElement): Viewport | undefined;
  setViewport(el: HTMLElement, vp: Viewport): void;
  getDefaultViewportForImage(el: HTMLElement, image: CornerstoneImage): Viewport;
  reset(el: HTMLElement): void;
  resize(el: HTMLElement, forcedFitToWindow?: boolean): void;
  updateImage(el: HTMLElement): void;
  getEnabledElement(el: HTMLElement): EnabledElement;
  setToPixelCoordinateSystem(ee: EnabledElement, ctx: CanvasRenderingContext2D): void;
  canvasToPixel(el: HTMLElement, pt: { x: number; y: number }): { x: number; y: number };
  EVENTS: { IMAGE_RENDERED: string };
}

export const cornerstone = cornerstoneModule as unknown as Cornerstone;
