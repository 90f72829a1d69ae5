/**
 * JPEG extended sequential (process 2 & 4: Huffman, DCT) for 12-bit greyscale, which the 8-bit
 * libjpeg-turbo build cannot decode and no installed package covers. The inverse DCT is IJG's
 * "islow" integer algorithm (jidctint.c), the one dcmtk and GDCM use by default, so results match
 * their decoders sample for sample.
 */
import { parseFrame, readSegments, type JpegFrame, type Segment } from './jpeg-markers.js';
import { CodecError } from './types.js';

// Natural-order index of the k-th coefficient in zig-zag order.
const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22,
  15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

/** 16-bit lookahead table: entry = (code length << 8) | symbol, 0 where no code matches. */
type HuffmanLookup = Uint32Array;

function buildHuffman(counts: Uint8Array, symbols: Uint8Array): HuffmanLookup {
  const lookup = new Uint32Array(1 << 16);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < counts[length - 1]!; i++) {
      if (code >= 1 << length || k >= symbols.length) throw new CodecError('invalid Huffman table (more codes than fit)');
      const first = code << (16 - length);
      lookup.fill((length << 8) | symbols[k++]!, first, first + (1 << (16 - length)));
      code++;
    }
    code <<= 1;
  }
  return lookup;
}

interface Tables {
  quant: (Int32Array | undefined)[]; // zig-zag order
  dc: (HuffmanLookup | undefined)[];
  ac: (HuffmanLookup | undefined)[];
  restartInterval: number;
}

function readTables(bytes: Uint8Array, segment: Segment, tables: Tables): void {
  const end = segment.body + segment.length;
  let at = segment.body;
  if (segment.marker === 0xdb) {
    while (at < end) {
      const wide = bytes[at]! >> 4;
      const id = bytes[at++]! & 15;
      const table = new Int32Array(64);
      for (let k = 0; k < 64; k++) table[k] = wide ? (bytes[at++]! << 8) | bytes[at++]! : bytes[at++]!;
      tables.quant[id] = table;
    }
  } else if (segment.marker === 0xc4) {
    while (at < end) {
      const kind = bytes[at]! >> 4;
      const id = bytes[at++]! & 15;
      const counts = bytes.subarray(at, at + 16);
      const total = counts.reduce((n, c) => n + c, 0);
      const symbols = bytes.subarray(at + 16, at + 16 + total);
      (kind === 0 ? tables.dc : tables.ac)[id] = buildHuffman(counts, symbols);
      at += 16 + total;
    }
  } else if (segment.marker === 0xdd) {
    tables.restartInterval = (bytes[at]! << 8) | bytes[at + 1]!;
  }
}

/** Entropy-coded data: removes 0xFF00 stuffing and stops (feeding zeros) at a marker. */
class BitReader {
  private acc = 0;
  private count = 0;
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
  ) {}

  private nextByte(): number {
    const b = this.bytes[this.pos];
    if (b === undefined) return 0;
    if (b !== 0xff) {
      this.pos++;
      return b;
    }
    if (this.bytes[this.pos + 1] === 0x00) {
      this.pos += 2;
      return 0xff;
    }
    return 0; // a marker: leave it for restart handling
  }

  private fill(): void {
    while (this.count <= 24) {
      this.acc = ((this.acc << 8) | this.nextByte()) >>> 0;
      this.count += 8;
    }
  }

  bits(n: number): number {
    if (this.count < n) this.fill();
    this.count -= n;
    const value = this.acc >>> this.count;
    this.acc = (this.acc & ((1 << this.count) - 1)) >>> 0;
    return value;
  }

  huffman(lookup: HuffmanLookup): number {
    if (this.count < 16) this.fill();
    const entry = lookup[(this.acc >>> (this.count - 16)) & 0xffff]!;
    if (entry === 0) throw new CodecError(`invalid Huffman code near byte ${this.pos}`);
    this.count -= entry >> 8;
    this.acc = (this.acc & ((1 << this.count) - 1)) >>> 0;
    return entry & 0xff;
  }

  /** Skip to just after the next RSTn marker and drop buffered bits. */
  restart(): void {
    this.acc = 0;
    this.count = 0;
    while (this.pos + 1 < this.bytes.length && !(this.bytes[this.pos] === 0xff && (this.bytes[this.pos + 1]! & 0xf8) === 0xd0)) this.pos++;
    this.pos += 2;
  }
}

function extend(value: number, size: number): number {
  return value < 1 << (size - 1) ? value - (1 << size) + 1 : value;
}

/** Huffman-decode and dequantize one 8×8 block into natural order. Returns the new DC predictor. */
function decodeBlock(reader: BitReader, dc: HuffmanLookup, ac: HuffmanLookup, quant: Int32Array, predictor: number, block: Float64Array): number {
  block.fill(0);
  const size = reader.huffman(dc);
  const value = predictor + (size === 0 ? 0 : extend(reader.bits(size), size));
  block[0] = value * quant[0]!;
  for (let k = 1; k < 64; ) {
    const rs = reader.huffman(ac);
    const run = rs >> 4;
    const s = rs & 15;
    if (s === 0) {
      if (run !== 15) break; // end of block
      k += 16;
      continue;
    }
    k += run;
    if (k > 63) throw new CodecError('AC coefficient index beyond the block');
    block[ZIGZAG[k]!] = extend(reader.bits(s), s) * quant[k]!;
    k++;
  }
  return value;
}

const F = {
  c0298: 2446, c0390: 3196, c0541: 4433, c0765: 6270, c0899: 7373, c1175: 9633,
  c1501: 12299, c1847: 15137, c1961: 16069, c2053: 16819, c2562: 20995, c3072: 25172,
};
const CONST_BITS = 13;

/**
 * The odd and even parts of jidctint's islow 1-D IDCT over v[at + k*step], written to r[0..7] before
 * descaling. Doubles, not int32: IJG computes in a 64-bit long and 12-bit data overflows 32 bits.
 */
function idctParts(v: Float64Array, at: number, step: number, r: Float64Array): void {
  const x0 = v[at]!;
  const x1 = v[at + step]!;
  const x2 = v[at + 2 * step]!;
  const x3 = v[at + 3 * step]!;
  const x4 = v[at + 4 * step]!;
  const x5 = v[at + 5 * step]!;
  const x6 = v[at + 6 * step]!;
  const x7 = v[at + 7 * step]!;
  const z1e = (x2 + x6) * F.c0541;
  const tmp2e = z1e - x6 * F.c1847;
  const tmp3e = z1e + x2 * F.c0765;
  const tmp0e = (x0 + x4) * 8192; // << CONST_BITS
  const tmp1e = (x0 - x4) * 8192;
  const t10 = tmp0e + tmp3e;
  const t13 = tmp0e - tmp3e;
  const t11 = tmp1e + tmp2e;
  const t12 = tmp1e - tmp2e;
  const z5 = (x7 + x3 + x5 + x1) * F.c1175;
  const z1 = (x7 + x1) * -F.c0899;
  const z2 = (x5 + x3) * -F.c2562;
  const z3 = (x7 + x3) * -F.c1961 + z5;
  const z4 = (x5 + x1) * -F.c0390 + z5;
  const t0 = x7 * F.c0298 + z1 + z3;
  const t1 = x5 * F.c2053 + z2 + z4;
  const t2 = x3 * F.c3072 + z2 + z3;
  const t3 = x1 * F.c1501 + z1 + z4;
  r[0] = t10 + t3;
  r[7] = t10 - t3;
  r[1] = t11 + t2;
  r[6] = t11 - t2;
  r[2] = t12 + t1;
  r[5] = t12 - t1;
  r[3] = t13 + t0;
  r[4] = t13 - t0;
}

/** Per-precision constants of the two IDCT passes: DESCALE(x, n) = floor(x / 2^n + 1/2), exact in doubles. */
interface IdctScales {
  pass1: number; // 2^PASS1_BITS: the shortcut for all-zero AC columns
  scale1: number; // 2^-(CONST_BITS - PASS1_BITS)
  scale2: number; // 2^-(CONST_BITS + PASS1_BITS + 3)
  scaleDc: number; // 2^-(PASS1_BITS + 3): the shortcut for all-zero AC rows
  center: number;
  max: number;
}

function idctScales(precision: number): IdctScales {
  const pass1 = precision === 8 ? 2 : 1; // IJG's PASS1_BITS
  return {
    pass1: 2 ** pass1,
    scale1: 2 ** -(CONST_BITS - pass1),
    scale2: 2 ** -(CONST_BITS + pass1 + 3),
    scaleDc: 2 ** -(pass1 + 3),
    center: 1 << (precision - 1),
    max: (1 << precision) - 1,
  };
}

/**
 * islow IDCT of a dequantized block into `out` (row stride `stride`), level-shifted and clamped.
 * Like IJG, columns/rows whose AC terms are all zero take a shortcut with identical results.
 */
function idctBlock(block: Float64Array, work: Float64Array, parts: Float64Array, s: IdctScales, out: Uint16Array, at: number, stride: number): void {
  for (let c = 0; c < 8; c++) {
    if (block[c + 8] === 0 && block[c + 16] === 0 && block[c + 24] === 0 && block[c + 32] === 0 && block[c + 40] === 0 && block[c + 48] === 0 && block[c + 56] === 0) {
      const dc = block[c]! * s.pass1;
      for (let k = 0; k < 64; k += 8) work[k + c] = dc;
    } else {
      idctParts(block, c, 8, parts);
      for (let k = 0; k < 8; k++) work[k * 8 + c] = Math.floor(parts[k]! * s.scale1 + 0.5);
    }
  }
  const { center, max } = s;
  for (let r = 0; r < 8; r++) {
    const row = at + r * stride;
    const w = r * 8;
    if (work[w + 1] === 0 && work[w + 2] === 0 && work[w + 3] === 0 && work[w + 4] === 0 && work[w + 5] === 0 && work[w + 6] === 0 && work[w + 7] === 0) {
      let v = Math.floor(work[w]! * s.scaleDc + 0.5) + center;
      v = v < 0 ? 0 : v > max ? max : v;
      for (let k = 0; k < 8; k++) out[row + k] = v;
    } else {
      idctParts(work, w, 1, parts);
      for (let k = 0; k < 8; k++) {
        const v = Math.floor(parts[k]! * s.scale2 + 0.5) + center;
        out[row + k] = v < 0 ? 0 : v > max ? max : v;
      }
    }
  }
}

function decodeScan(bytes: Uint8Array, frame: JpegFrame, tables: Tables, sos: Segment): Uint16Array {
  const component = frame.components[0]!;
  const quant = tables.quant[component.quantTable];
  // SOS body: Ns, then (Cs, Td<<4 | Ta) per component, then Ss, Se, Ah/Al.
  const selectors = bytes[sos.body + 2]!;
  const dc = tables.dc[selectors >> 4];
  const ac = tables.ac[selectors & 15];
  if (!quant || !dc || !ac) throw new CodecError('a quantization or Huffman table used by the scan is missing');
  const blocksX = Math.ceil(frame.width / 8);
  const blocksY = Math.ceil(frame.height / 8);
  const stride = blocksX * 8;
  const plane = new Uint16Array(stride * blocksY * 8);
  const reader = new BitReader(bytes, sos.body + sos.length);
  const block = new Float64Array(64);
  const work = new Float64Array(64);
  const parts = new Float64Array(8);
  const scales = idctScales(frame.precision);
  let predictor = 0;
  for (let n = 0; n < blocksX * blocksY; n++) {
    if (tables.restartInterval > 0 && n > 0 && n % tables.restartInterval === 0) {
      reader.restart();
      predictor = 0;
    }
    predictor = decodeBlock(reader, dc, ac, quant, predictor, block);
    idctBlock(block, work, parts, scales, plane, Math.floor(n / blocksX) * 8 * stride + (n % blocksX) * 8, stride);
  }
  const out = new Uint16Array(frame.width * frame.height);
  for (let y = 0; y < frame.height; y++) out.set(plane.subarray(y * stride, y * stride + frame.width), y * frame.width);
  return out;
}

/** Decode a single-component Huffman sequential DCT stream (SOF0/SOF1) of 8- or 12-bit precision. */
export function decodeJpegSequential(bytes: Uint8Array): { frame: JpegFrame; samples: Uint16Array } {
  const segments = readSegments(bytes);
  const tables: Tables = { quant: [], dc: [], ac: [], restartInterval: 0 };
  let frame: JpegFrame | undefined;
  for (const segment of segments) {
    if (segment.marker === 0xc0 || segment.marker === 0xc1) frame = parseFrame(bytes, segment);
    else if (segment.marker >= 0xc2 && segment.marker <= 0xcf && segment.marker !== 0xc4 && segment.marker !== 0xcc && segment.marker !== 0xc8) {
      throw new CodecError(`JPEG process with SOF marker 0xff${segment.marker.toString(16)} is not supported (only Huffman sequential)`);
    } else readTables(bytes, segment, tables);
  }
  if (!frame) throw new CodecError('no frame header (SOF marker) before the scan');
  if (frame.components.length !== 1) throw new CodecError(`${frame.precision}-bit JPEG with ${frame.components.length} components is not supported`);
  const sos = segments[segments.length - 1]!;
  return { frame, samples: decodeScan(bytes, frame, tables, sos) };
}
