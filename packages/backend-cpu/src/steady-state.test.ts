import v8 from 'node:v8'
import vm from 'node:vm'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { cpuBackend, type ParamUpdate } from './index.js'
import { mlpFeeds, mlpStep } from './testing/mlp.js'

/**
 * Counts every typed array created while `body` runs: constructed with
 * `new` (through the global constructors, which is how all code in this
 * package and `@backprop/backend` allocates) or derived from another one
 * (`slice`, `subarray`, `map`, `filter`).
 */
const countTypedArrays = (body: () => void): number => {
  let count = 0
  const typedArray = Object.getPrototypeOf(Float32Array.prototype) as Record<string, unknown>
  const methods = ['slice', 'subarray', 'map', 'filter'] as const
  const saved = methods.map((m) => typedArray[m] as (...args: unknown[]) => unknown)
  const ctors = { Float32Array: globalThis.Float32Array, Float64Array: globalThis.Float64Array }
  methods.forEach((m, i) => {
    typedArray[m] = function (this: unknown, ...args: unknown[]) {
      count++
      return saved[i]!.apply(this, args)
    }
  })
  // A proxy, not a subclass, so that `instanceof Float32Array` still holds for arrays made before.
  const counting = <T extends new (...args: never[]) => object>(Base: T): T =>
    new Proxy(Base, {
      construct(target, args) {
        count++
        return Reflect.construct(target, args) as object
      },
    })
  globalThis.Float32Array = counting(ctors.Float32Array)
  globalThis.Float64Array = counting(ctors.Float64Array)
  try {
    body()
  } finally {
    methods.forEach((m, i) => (typedArray[m] = saved[i]))
    globalThis.Float32Array = ctors.Float32Array
    globalThis.Float64Array = ctors.Float64Array
  }
  return count
}

describe.each([true, false])('steady state of a training step (simd %s)', (simd) => {
  const sizes = [40, 16, 10] as const
  const batch = 8
  const compile = () => {
    const step = mlpStep(batch, sizes, 'f32')
    const updates: ParamUpdate[] = step.params.map((param, i) => ({ param, value: step.updates[i]! }))
    const compiled = cpuBackend({ simd }).compile(step.graph, [step.loss], { updates })
    if (E.isLeft(compiled)) throw new Error(compiled.left.message)
    return compiled.right
  }

  it('allocates no typed array per run but the output it returns', () => {
    const exe = compile()
    const feeds = mlpFeeds(batch, sizes, 'f32')
    const data = { x: feeds.x!, t: feeds.t!, lr: feeds.lr! }
    expect(E.isRight(exe.runSync(feeds))).toBe(true)
    for (let i = 0; i < 5; i++) exe.runSync(data)
    const runs = 200
    let losses = 0
    const created = countTypedArrays(() => {
      for (let i = 0; i < runs; i++) {
        const out = exe.runSync(data)
        if (E.isRight(out)) losses++
      }
    })
    expect(losses).toBe(runs)
    // One array per run: the returned loss, which the caller owns.
    expect(created).toBe(runs)
  })

  it('allocates no typed array at all per runInto', () => {
    const exe = compile()
    const feeds = mlpFeeds(batch, sizes, 'f32')
    const data = { x: feeds.x!, t: feeds.t!, lr: feeds.lr! }
    const into = [new Float32Array(1)]
    expect(E.isRight(exe.runInto(feeds, into))).toBe(true)
    const runs = 200
    let ok = 0
    const created = countTypedArrays(() => {
      for (let i = 0; i < runs; i++) if (E.isRight(exe.runInto(data, into))) ok++
    })
    expect(ok).toBe(runs)
    expect(created).toBe(0)
  })

  it('does not grow the heap over many runs', () => {
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc') as () => void
    const exe = compile()
    const feeds = mlpFeeds(batch, sizes, 'f32')
    const data = { x: feeds.x!, t: feeds.t!, lr: feeds.lr! }
    exe.runSync(feeds)
    for (let i = 0; i < 50; i++) exe.runSync(data)
    gc()
    const before = process.memoryUsage()
    for (let i = 0; i < 3000; i++) exe.runSync(data)
    gc()
    const after = process.memoryUsage()
    // Nothing a run creates survives it: what remains after collecting is noise.
    expect(after.heapUsed - before.heapUsed).toBeLessThan(1 << 20)
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(1 << 16)
  })
})
