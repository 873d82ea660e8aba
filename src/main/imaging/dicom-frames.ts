/**
 * Cuts the Pixel Data element into per-frame byte ranges: native data by frame size, encapsulated
 * data by Basic Offset Table, one-fragment-per-frame, or (no table, several fragments per frame)
 * by finding each JPEG/J2K end-of-image marker the way dicom-parser's helper does.
 */
import type { DataSet, Element, Fragment } from 'dicom-parser';
import { DicomError, describeThrown } from './dicom-error';
import type { ImageHeader } from './dicom-header';
import { dicomParser } from './dicom-parse';

export interface NativeFrame {
  bytes: Uint8Array;
  /** Only for 1-bit data, where frames need not start on a byte boundary. */
  bitOffset: number;
}

/** Bits one frame of native data occupies (YBR 4:2:2 stores two chroma samples per two pixels). */
export function nativeFrameBits(header: ImageHeader): number {
  const { rows, columns, samplesPerPixel, bitsAllocated, photometric } = header.info;
  const pixels = rows * columns;
  let samples = pixels * samplesPerPixel;
  if (samplesPerPixel === 3 && /^YBR_(FULL|PARTIAL)_422$/.test(photometric)) samples = pixels * 2;
  else if (samplesPerPixel === 3 && photometric === 'YBR_PARTIAL_420') samples = pixels * 1.5;
  return samples * bitsAllocated;
}

function availableBytes(dataSet: DataSet, element: Element): number {
  const inFile = Math.max(0, dataSet.byteArray.length - element.dataOffset);
  const declared = element.length >= 0 && element.length !== 0xffffffff ? element.length : inFile;
  return Math.min(declared, inFile);
}

export function nativeFrames(dataSet: DataSet, element: Element, header: ImageHeader, framesWanted: number): (index: number) => NativeFrame {
  const frameBits = nativeFrameBits(header);
  const available = availableBytes(dataSet, element);
  if (available === 0) throw new DicomError('empty pixel data (0 bytes)');
  const needed = Math.ceil((frameBits * framesWanted) / 8);
  if (available < needed) {
    throw new DicomError(`truncated pixel data: expected ${needed} bytes, found ${available}`);
  }
  const start = element.dataOffset;
  return (index) => {
    const firstBit = frameBits * index;
    const firstByte = Math.floor(firstBit / 8);
    const lastByte = Math.ceil((firstBit + frameBits) / 8);
    return {
      bytes: dataSet.byteArray.subarray(start + firstByte, start + lastByte),
      bitOffset: firstBit % 8,
    };
  };
}

function checkFragments(dataSet: DataSet, fragments: Fragment[]): void {
  for (const [i, fragment] of fragments.entries()) {
    const end = fragment.position + fragment.length;
    if (end > dataSet.byteArray.length) {
      const found = Math.max(0, dataSet.byteArray.length - fragment.position);
      throw new DicomError(`truncated pixel data: fragment ${i + 1} expected ${fragment.length} bytes, found ${found}`);
    }
  }
}

export function encapsulatedFrames(dataSet: DataSet, element: Element, frameCount: number): (index: number) => Uint8Array {
  const fragments = element.fragments ?? [];
  if (fragments.length === 0) throw new DicomError('encapsulated pixel data has no fragments');
  // A fragment never holds data of two frames (PS3.5 A.4), so fewer fragments than frames is a false
  // frame count: say so now, not after scanning the fragments for end-of-image markers.
  if (fragments.length < frameCount) {
    throw new DicomError(`the header claims ${frameCount} frames, but the encapsulated pixel data holds only ${fragments.length} fragments`);
  }
  checkFragments(dataSet, fragments);
  const offsetTable = element.basicOffsetTable ?? [];
  let computedTable: number[] | null = null;

  const wrap = <T>(index: number, read: () => T): T => {
    try {
      return read();
    } catch (thrown) {
      if (thrown instanceof DicomError) throw thrown;
      throw new DicomError(`cannot extract frame ${index + 1} from encapsulated pixel data: ${describeThrown(thrown)}`);
    }
  };

  return (index) =>
    wrap(index, () => {
      if (frameCount === 1) {
        return dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, 0, fragments.length);
      }
      if (offsetTable.length === frameCount) {
        return dicomParser.readEncapsulatedImageFrame(dataSet, element, index);
      }
      if (fragments.length === frameCount) {
        return dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, index, 1);
      }
      if (!computedTable) {
        computedTable = dicomParser.createJPEGBasicOffsetTable(dataSet, element);
        if (computedTable.length < frameCount) {
          throw new DicomError(
            `cannot split ${fragments.length} fragments into ${frameCount} frames (found ${computedTable.length} end-of-image markers)`,
          );
        }
      }
      return dicomParser.readEncapsulatedImageFrame(dataSet, element, index, computedTable);
    });
}
