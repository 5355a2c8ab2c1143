import * as E from 'fp-ts/lib/Either.js'
import type { Tensor } from '@backprop/backend'
import { describe, expect, it } from 'vitest'
import { cpuBackend, type ParamUpdate } from './index.js'
import { mlpFeeds, mlpStep } from './testing/mlp.js'

const unwrap = <A>(x: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left.message)
  return x.right
}

const arrays = (tensors: readonly Tensor[]): number[][] => tensors.map((t) => Array.from(t.data))

describe.each([
  ['wasm', true],
  ['js', false],
] as const)('warmUp (%s kernels)', (_, simd) => {
  const backend = cpuBackend({ simd })
  const sizes = [12, 8, 3] as const
  const step = mlpStep(5, sizes, 'f32')
  const updates: ParamUpdate[] = step.params.map((param, i) => ({ param, value: step.updates[i]! }))
  const initial = mlpFeeds(5, sizes, 'f32')
  const params = Object.fromEntries(step.params.map((name) => [name, initial[name]!]))
  const batches = [1, 2, 3].map((seed) => {
    const f = mlpFeeds(5, sizes, 'f32', seed)
    return { x: f.x!, t: f.t!, lr: f.lr! }
  })

  /** The losses and final parameters of three steps from the initial parameters, with `prepare` done to the executable first. */
  const train = (prepare: (exe: ReturnType<typeof compile>) => void) => {
    const exe = compile()
    prepare(exe)
    unwrap(exe.params!.write(params))
    const losses = batches.map((batch) => arrays(unwrap(exe.runSync(batch))))
    return { losses, params: unwrap(exe.params!.read()) }
  }
  const compile = () => unwrap(backend.compile(step.graph, [step.loss, ...step.gradients], { updates }))

  it('changes no result: the same losses, gradients and parameters as an executable never warmed up', () => {
    const cold = train(() => undefined)
    const warm = train((exe) => exe.warmUp!())
    expect(warm.losses).toEqual(cold.losses)
    for (const name of step.params) expect(Array.from(warm.params[name]!.data)).toEqual(Array.from(cold.params[name]!.data))
  })

  it('leaves no parameter held: a run still needs them all', () => {
    const exe = compile()
    exe.warmUp!()
    const run = exe.runSync(batches[0]!)
    expect(E.isLeft(run) && run.left._tag).toBe('MissingFeed')
  })

  it('does nothing once the executable has run, whose held parameters it would overwrite', () => {
    const exe = compile()
    unwrap(exe.params!.write(params))
    const first = arrays(unwrap(exe.runSync(batches[0]!)))
    const held = unwrap(exe.params!.read())
    exe.warmUp!()
    expect(arrays(Object.values(unwrap(exe.params!.read())))).toEqual(arrays(Object.values(held)))
    const reference = compile()
    unwrap(reference.params!.write(params))
    expect(arrays(unwrap(reference.runSync(batches[0]!)))).toEqual(first)
    expect(arrays(unwrap(exe.runSync(batches[1]!)))).toEqual(arrays(unwrap(reference.runSync(batches[1]!))))
  })
})
