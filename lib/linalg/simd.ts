/**
 * A tiny WebAssembly SIMD kernel for the hot loop of the Cholesky factorisation, assembled here from
 * readable opcodes (no toolchain needed). JavaScript has no SIMD; wasm's f64x2 does two float64
 * multiply-adds per instruction, which roughly halves the time of the 4 x 2 register block.
 *
 * dot4x2(a0, a1, a2, a3, bj, bl, len, out): for the rows starting at byte offsets a0..a3 and bj, bl of
 * the shared memory, writes the eight dot products <a_r[0:len], b[0:len]> (r = 0..3, b = bj then bl)
 * as float64 at out (a_r.bj at out + 8 r, a_r.bl at out + 32 + 8 r). len must be even.
 *
 * `simdKernel()` returns null where WebAssembly SIMD is unavailable; callers then use plain loops.
 */

/** The few WebAssembly JS-API members used here (the project's TS lib has no DOM/wasm typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (d: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}

export interface SimdKernel {
  memory: WasmMemory;
  dot4x2: (a0: number, a1: number, a2: number, a3: number, bj: number, bl: number, len: number, out: number) => void;
  /** Makes sure the memory holds at least `bytes` bytes (growing invalidates old views). */
  ensure(bytes: number): void;
}

// Opcodes (WebAssembly core + SIMD proposals).
const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Shl: 0x74,
  f64Add: 0xa0,
  f64Store: 0x39,
  simd: 0xfd,
};
const EMPTY = 0x40; // block type: no result
const I32 = 0x7f,
  V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function str(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

const get = (i: number) => [OP.localGet, i];
const set = (i: number) => [OP.localSet, i];
const tee = (i: number) => [OP.localTee, i];
const v128Load = [OP.simd, 0x00, 0x00, 0x00]; // memarg align 1, offset 0 (unaligned rows are fine)
const f64x2Mul = [OP.simd, ...uleb(0xf2)];
const f64x2Add = [OP.simd, ...uleb(0xf0)];
const lane = (k: number) => [OP.simd, 0x21, k]; // f64x2.extract_lane

function assemble(): Uint8Array {
  // Parameters 0..7: a0 a1 a2 a3 bj bl len out. Locals: 8 k, 9 end (i32); 10..17 acc, 18 x, 19 yj, 20 yl (v128).
  const K = 8,
    END = 9,
    ACC = 10,
    X = 18,
    YJ = 19,
    YL = 20;
  const body: number[] = [];
  const emit = (...xs: (number | number[])[]) => xs.forEach((x) => (Array.isArray(x) ? body.push(...x) : body.push(x)));
  emit(get(6), OP.i32Const, 3, OP.i32Shl, set(END)); // end = len * 8 bytes
  emit(OP.block, EMPTY, OP.loop, EMPTY);
  emit(get(K), get(END), OP.i32GeU, OP.brIf, 1); // while k < end
  emit(get(4), get(K), OP.i32Add, v128Load, set(YJ));
  emit(get(5), get(K), OP.i32Add, v128Load, set(YL));
  for (let r = 0; r < 4; r++) {
    emit(get(r), get(K), OP.i32Add, v128Load, tee(X));
    emit(get(YJ), f64x2Mul, get(ACC + r), f64x2Add, set(ACC + r));
    emit(get(X), get(YL), f64x2Mul, get(ACC + 4 + r), f64x2Add, set(ACC + 4 + r));
  }
  emit(get(K), OP.i32Const, 16, OP.i32Add, set(K));
  emit(OP.br, 0, OP.end, OP.end);
  for (let i = 0; i < 8; i++) {
    emit(get(7), get(ACC + i), lane(0), get(ACC + i), lane(1), OP.f64Add);
    emit(OP.f64Store, 3, ...uleb(8 * i)); // align 8, offset 8 i
  }
  emit(OP.end);
  const locals = [2, ...uleb(2), I32, ...uleb(11), V128];
  const func = [...locals, ...body];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 8, ...Array(8).fill(I32), 0]), // type: (i32 x 8) -> ()
    ...section(2, [1, ...str("env"), ...str("mem"), 0x02, 0x00, 1]), // import memory, min 1 page
    ...section(3, [1, 0]), // one function of type 0
    ...section(7, [1, ...str("dot4x2"), 0x00, 0]), // export it
    ...section(10, [1, ...uleb(func.length), ...func]),
  ];
  return Uint8Array.from(bytes);
}

let cached: SimdKernel | null | undefined;

/** The compiled kernel, or null without WebAssembly SIMD (or when MBRL_NO_SIMD=1). */
export function simdKernel(): SimdKernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
    if (process.env.MBRL_NO_SIMD === "1" || !WA) return null;
    const bytes = assemble();
    if (!WA.validate(bytes)) return null;
    const memory = new WA.Memory({ initial: 16 });
    const inst = new WA.Instance(new WA.Module(bytes), { env: { mem: memory } });
    const dot4x2 = inst.exports.dot4x2 as SimdKernel["dot4x2"];
    cached = {
      memory,
      dot4x2,
      ensure(n: number) {
        const have = memory.buffer.byteLength;
        if (n > have) memory.grow(Math.ceil((n - have) / 65536));
      },
    };
  } catch {
    cached = null;
  }
  return cached;
}
