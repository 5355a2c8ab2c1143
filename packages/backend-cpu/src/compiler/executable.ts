import * as E from 'fp-ts/lib/Either.js'
import {
  allocate,
  type BackendError,
  checkFeeds,
  disposedError,
  type Feeds,
  type FeedSpec,
  isDataOf,
  missingFeed,
  type ParamStore,
  type Tensor,
  type TensorData,
  type TensorSpec,
  unknownFeed,
} from '@backprop/backend'
import { sizeOf } from '@backprop/graph'
import type { View } from './lower/ir.js'
import type { Lowered } from './lower/lower.js'
import { isContiguous } from './lower/views.js'
import { type CpuExecutable, intoError } from '../executable.js'
import { type Arena, arrayOf, baseOf } from './target/arena.js'
import type { Program, ProgramStats } from './target/program.js'
import { touchPages } from '../pages.js'

/** Copies a view of the arena into `into`, or else into a fresh array that the caller owns; returns the array written. */
const reader = (arena: Arena, view: View, spec: TensorSpec): ((into?: TensorData) => TensorData) => {
  const src = arrayOf(arena, spec.dtype)
  const base = baseOf(arena, view.storage, spec.dtype) + view.offset
  const size = sizeOf(view.shape)
  if (isContiguous(view)) {
    const window = src.subarray(base, base + size)
    return (into) => {
      if (into === undefined) return window.slice()
      into.set(window)
      return into
    }
  }
  const shape = view.shape
  const strides = view.strides
  const rank = shape.length
  const index = new Int32Array(rank)
  return (into) => {
    const out = into ?? allocate(spec.dtype, size)
    index.fill(0)
    let p = base
    for (let o = 0; o < size; o++) {
      out[o] = src[p]!
      for (let axis = rank - 1; axis >= 0; axis--) {
        if (++index[axis]! < shape[axis]!) {
          p += strides[axis]!
          break
        }
        index[axis] = 0
        p -= strides[axis]! * (shape[axis]! - 1)
      }
    }
    return out
  }
}

/** The arena's window onto one storage. */
const windowOf = (arena: Arena, storage: number, spec: TensorSpec): TensorData => {
  const base = baseOf(arena, storage, spec.dtype)
  return arrayOf(arena, spec.dtype).subarray(base, base + sizeOf(spec.shape))
}

/**
 * Fills `window` with what {@link CpuExecutable.warmUp} runs on: fractions
 * of both signs, below 1/2 (so that sums of products stay finite), that
 * vary along every axis. Not zeros, which V8 takes for small integers: the
 * JavaScript kernels would be compiled for them and deoptimised by the
 * first real run; and not one value repeated, which leaves the branches
 * that compare elements (the maximum of a softmax) half untried, with the
 * same effect.
 */
const fillWarmUp = (window: TensorData): void => {
  for (let i = 0; i < window.length; i++) window[i] = (((i * 7919) % 61) - 30) / 64
}

/**
 * How many times {@link CpuExecutable.warmUp} runs the steps. V8 first
 * compiles a WebAssembly function quickly into slow code, and recompiles
 * it optimised, in the background, once the function has done enough work:
 * a product's loops do that much in one run, a small function only in
 * several. Recompiled during the warm-up rather than during the first
 * real runs, they do not take a core from the runs.
 */
const WARM_UP_RUNS = 4

/** The value of a run that succeeded, shared rather than allocated per run. */
const RAN: E.Either<BackendError, void> = E.right(undefined)

/** Whether `t` is a valid value for `spec` (the checks of `checkFeeds`, without allocating). */
const fits = (t: Tensor, spec: TensorSpec): boolean => {
  if (t.dtype !== spec.dtype || !isDataOf(t.data, t.dtype)) return false
  if (t.shape.length !== spec.shape.length) return false
  for (let i = 0; i < t.shape.length; i++) if (t.shape[i] !== spec.shape[i]) return false
  return t.data.length === sizeOf(spec.shape)
}

/**
 * Wraps a compiled program as a {@link CpuExecutable}. A run validates the
 * feeds (without allocating when they are valid), copies each needed feed
 * into its buffer, runs the program's steps, copies the outputs out into
 * fresh arrays, and leaves updated parameters in their state buffers.
 * Nothing else is allocated per run: every buffer lives in the arena that
 * was laid out at compile time.
 *
 * @internal
 */
export const compiledExecutable = (
  lowered: Lowered,
  program: Program,
  feedSpecs: readonly FeedSpec[],
  outputSpecs: readonly TensorSpec[],
  validate: boolean,
): CpuExecutable & { readonly stats: ProgramStats } => {
  const { arena, steps } = program
  const specByName = new Map(feedSpecs.map((s) => [s.name, s]))
  const feeds = lowered.feeds.map(({ name, storage }) => ({ name, window: windowOf(arena, storage, specByName.get(name)!) }))
  const state = lowered.state.map(({ name, storage }) => ({ name, spec: specByName.get(name)!, window: windowOf(arena, storage, specByName.get(name)!) }))
  const held = new Set<string>()
  /** Whether any run or parameter write has happened: {@link CpuExecutable.warmUp} would overwrite what they left. */
  let used = false
  const outputs = lowered.outputs.map((view, i) => ({ read: reader(arena, view, outputSpecs[i]!), spec: outputSpecs[i]! }))
  let disposed = false

  const valid = (given: Feeds): boolean => {
    for (const name in given) if (Object.hasOwn(given, name) && !specByName.has(name)) return false
    for (const spec of feedSpecs) {
      const t = Object.hasOwn(given, spec.name) ? given[spec.name] : undefined
      if (t === undefined) {
        if (spec.required) return false
      } else if (!fits(t, spec)) return false
    }
    return true
  }

  /** Validates and copies in the feeds, and runs every step: the outputs are then in the arena. */
  const compute = (given: Feeds): E.Either<BackendError, void> => {
    if (disposed) return E.left(disposedError('cpu'))
    used = true
    if (validate && !valid(given)) {
      const checked = checkFeeds(feedSpecs, given)
      if (E.isLeft(checked)) return checked
    }
    for (const s of state) {
      if (!held.has(s.name) && !Object.hasOwn(given, s.name)) return E.left(missingFeed({ ...s.spec, kind: 'param' }))
    }
    for (const s of state) {
      const t = Object.hasOwn(given, s.name) ? given[s.name] : undefined
      if (t === undefined) continue
      s.window.set(t.data)
      held.add(s.name)
    }
    for (const f of feeds) f.window.set(given[f.name]!.data)
    for (const step of steps) step()
    return RAN
  }

  const runSync = (given: Feeds): E.Either<BackendError, Tensor[]> => {
    const ran = compute(given)
    if (E.isLeft(ran)) return ran
    const result: Tensor[] = new Array(outputs.length)
    for (let i = 0; i < outputs.length; i++) {
      const o = outputs[i]!
      result[i] = { shape: o.spec.shape, dtype: o.spec.dtype, data: o.read() }
    }
    return E.right(result)
  }

  const runInto = (given: Feeds, into: readonly TensorData[]): E.Either<BackendError, void> => {
    const wrong = intoError(outputSpecs, into)
    if (wrong !== undefined) return E.left(wrong)
    const ran = compute(given)
    if (E.isLeft(ran)) return ran
    for (let i = 0; i < outputs.length; i++) outputs[i]!.read(into[i])
    return RAN
  }

  const params: ParamStore | undefined =
    state.length === 0
      ? undefined
      : {
          names: state.map((s) => s.name),
          read: () => {
            const missing = state.find((s) => !held.has(s.name))
            if (missing) return E.left(missingFeed({ ...missing.spec, kind: 'param' }))
            return E.right(Object.fromEntries(state.map((s) => [s.name, { shape: s.spec.shape, dtype: s.spec.dtype, data: s.window.slice() }])))
          },
          write: (values) => {
            used = true
            const names = state.map((s) => s.name)
            for (const name of Object.keys(values)) if (!names.includes(name)) return E.left(unknownFeed(name, names))
            const specs = state.map((s) => ({ ...s.spec, required: false }))
            const checked = checkFeeds(specs, values)
            if (E.isLeft(checked)) return checked
            for (const s of state) {
              const t = Object.hasOwn(values, s.name) ? values[s.name] : undefined
              if (t === undefined) continue
              s.window.set(t.data)
              held.add(s.name)
            }
            return E.right(undefined)
          },
        }

  return {
    feeds: feedSpecs,
    outputs: outputSpecs,
    runSync,
    runInto,
    run: async (given) => runSync(given),
    warmUp: () => {
      if (disposed || used) return
      touchPages(arena.f32.buffer)
      for (const f of feeds) fillWarmUp(f.window)
      for (const s of state) fillWarmUp(s.window)
      try {
        for (let run = 0; run < WARM_UP_RUNS; run++) for (const step of steps) step()
      } catch {
        // On made-up values a kernel may meet what no real run gives it; a real run reports its own failures.
      }
    },
    dispose: () => {
      disposed = true
      return Promise.resolve()
    },
    ...(params ? { params } : {}),
    stats: program.stats,
  }
}
