import { ModuleBuilder } from './wasm/module.js'
import { emitMatmul, packedSize, type Tiling, defaultTiling } from './wasm/matmul.js'
import { f32Lanes, f64Lanes } from './wasm/lanes.js'

const run = (dtype: 'f32' | 'f64', m: number, n: number, k: number, layout: 'NN' | 'NT' | 'TN', tiling?: Partial<Tiling>) => {
  const L = dtype === 'f32' ? f32Lanes : f64Lanes
  const t = { ...defaultTiling(L), ...tiling }
  const spec = {
    lanes: L, n, k, ldc: n,
    aRow: layout === 'TN' ? 1 : k, aK: layout === 'TN' ? m : 1,
    bK: layout === 'NT' ? 1 : n, bCol: layout === 'NT' ? k : 1,
  }
  const mod = new ModuleBuilder()
  emitMatmul(mod, 'x', spec, t)
  const es = L.bytes
  const aOff = 0, bOff = aOff + m * k * es, pOff = bOff + k * n * es, cOff = pOff + packedSize(spec, t) * es
  const total = cOff + m * n * es + 64
  const pages = Math.ceil(total / 65536)
  const memory = new WebAssembly.Memory({ initial: pages })
  const bytes = mod.encode(pages)
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
  const ex = inst.exports as any
  const Arr = dtype === 'f32' ? Float32Array : Float64Array
  const A = new Arr(memory.buffer, aOff, m * k), B = new Arr(memory.buffer, bOff, k * n), C = new Arr(memory.buffer, cOff, m * n)
  for (let i = 0; i < A.length; i++) A[i] = Math.sin(i) 
  for (let i = 0; i < B.length; i++) B[i] = Math.cos(i * 0.7)
  const go = () => { ex.x_pack(bOff, pOff); ex.x_mm(aOff, pOff, cOff, m) }
  go()
  // check a few entries
  let maxErr = 0
  for (let t2 = 0; t2 < 50; t2++) {
    const i = (t2 * 7919) % m, j = (t2 * 104729) % n
    let s = 0
    for (let p = 0; p < k; p++) {
      const a = layout === 'TN' ? A[p * m + i] : A[i * k + p]
      const b = layout === 'NT' ? B[j * k + p] : B[p * n + j]
      s += a! * b!
    }
    maxErr = Math.max(maxErr, Math.abs(s - C[i * n + j]!) / (1 + Math.abs(s)))
  }
  { const w0 = performance.now(); while (performance.now() - w0 < 300) go() }
  let reps = 0; const t0 = performance.now(); let el = 0
  while ((el = performance.now() - t0) < 400) { go(); reps++ }
  const gflops = (2 * m * n * k * reps) / (el * 1e6)
  console.log(dtype, layout, m, n, k, JSON.stringify(tiling ?? {}), 'err', maxErr.toExponential(1), 'GFLOPS', gflops.toFixed(1), 'bytes', bytes.length)
}
const cfgs: Partial<Tiling>[] = process.argv[2] ? [JSON.parse(process.argv[2])] : [{}]
for (const c of cfgs) {
  run('f32', 1024, 1024, 1024, 'NN', c)
  run('f32', 512, 128, 784, 'NT', c)
  run('f32', 128, 784, 512, 'TN', c)
  run('f32', 64, 128, 784, 'NT', c)
  run('f32', 128, 784, 64, 'TN', c)
  run('f64', 1024, 1024, 1024, 'NN', c)
  run('f64', 512, 128, 784, 'NT', c)
}
