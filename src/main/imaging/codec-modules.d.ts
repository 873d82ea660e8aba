// jpeg-lossless-decoder-js ships no type declarations; this describes only what dicom-codecs.ts uses
// (the WASM codecs' glue is loaded with require in wasm-codecs.ts and typed there).

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    constructor(buffer?: ArrayBuffer | null, numBytes?: number);
    /** Decodes one JPEG lossless (process 14) image; 1 byte per sample up to 8 bits precision, else 2. */
    decode(buffer?: ArrayBuffer, offset?: number, length?: number, numBytes?: number): Uint8Array | Uint16Array;
    xDim: number;
    yDim: number;
    numComp: number;
    precision: number | undefined;
  }
}
