import * as E from 'fp-ts/lib/Either.js'
import {
  type BackendError,
  checkFeeds,
  disposedError,
  type Executable,
  type Feeds,
  type FeedSpec,
  internalError,
  type StatefulExecutable,
  type Tensor,
  type TensorSpec,
} from '@backprop/backend'
import type * as ort from 'onnxruntime-node'
import { HeldParams } from './held-params.js'
import { firstLine, type NativeSession } from './native-session.js'
import { fromOrt, toOrt } from './ort-tensors.js'

/** What {@link ortExecutable} needs: an exported model and how its names map to ours. */
export interface OrtProgram {
  /** The model's input names (required feeds, held parameters included). */
  readonly inputs: readonly string[]
  /** The model's output names of the requested outputs, in request order. */
  readonly outputs: readonly string[]
  /** Per held parameter, the model's output name of its update. */
  readonly updates: ReadonlyMap<string, string>
  /** The executable's feed list (held parameters not required). */
  readonly feeds: readonly FeedSpec[]
  /** Shape and dtype of each requested output. */
  readonly outputSpecs: readonly TensorSpec[]
  /** The held parameters' feed specs, in graph order (empty: stateless). */
  readonly held: readonly FeedSpec[]
}

/**
 * An executable running an exported model in an ONNX Runtime session
 * (`undefined`: nothing to run, no outputs and no updates). Runs are
 * synchronous, so each completes before the next starts: runs of a
 * {@link StatefulExecutable} read the state the previous one wrote without
 * queueing, and one feeds object and one fetches object serve every run.
 */
export const ortExecutable = (program: OrtProgram, session: NativeSession | undefined): Executable | StatefulExecutable => {
  const held = program.held.length > 0 ? new HeldParams(program.held) : undefined
  let disposed = false
  // Rewritten in full by every run: each model input and each output name gets its entry.
  const ortFeeds: Record<string, ort.Tensor> = {}
  const fetches: Record<string, ort.Tensor | null> = Object.fromEntries(program.outputs.map((name) => [name, null]))

  const once = (feeds: Feeds): E.Either<BackendError, readonly Tensor[]> => {
    if (disposed) return E.left(disposedError('ort'))
    const checked = checkFeeds(program.feeds, feeds)
    if (E.isLeft(checked)) return checked
    if (session === undefined) return E.right([])
    for (const name of program.inputs) {
      const given = Object.hasOwn(feeds, name) ? toOrt(feeds[name]!) : undefined
      if (held !== undefined && program.updates.has(name)) {
        const value = held.feed(name, given)
        if (E.isLeft(value)) return value
        ortFeeds[name] = value.right
      } else {
        ortFeeds[name] = given!
      }
    }
    if (held !== undefined) for (const [param, output] of program.updates) fetches[output] = held.target(param)
    try {
      const results = session.run(ortFeeds, fetches)
      held?.swap()
      return E.right(program.outputs.map((name, i) => fromOrt(results[name]!, program.outputSpecs[i]!)))
    } catch (e) {
      return E.left(internalError(`ONNX Runtime failed to run: ${firstLine(e)}`))
    }
  }

  const base: Executable = {
    feeds: program.feeds,
    outputs: program.outputSpecs,
    run: async (feeds) => once(feeds),
    dispose: async () => {
      if (disposed) return
      disposed = true
      session?.release()
    },
  }
  return held === undefined ? base : { ...base, params: held }
}
