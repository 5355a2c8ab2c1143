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
import * as ort from 'onnxruntime-node'
import { HeldParams } from './held-params.js'
import { fromOrt, toOrt } from './ort-tensors.js'

/** What {@link ortExecutable} needs: an exported model and how its names map to ours. */
export interface OrtProgram {
  /** The model's bytes. */
  readonly bytes: Uint8Array
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

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!

/**
 * An executable running an exported model in an ONNX Runtime session. The
 * session is created when the executable is (asynchronously; the first run
 * waits for it). With held parameters it is a {@link StatefulExecutable}
 * whose runs are queued, since each reads the state the previous one wrote.
 */
export const ortExecutable = (program: OrtProgram, session: ort.InferenceSession.SessionOptions): Executable | StatefulExecutable => {
  // No outputs and no updates: nothing to run (ONNX models need an output).
  const opened: Promise<ort.InferenceSession | string> | undefined =
    program.outputs.length + program.updates.size === 0
      ? undefined
      : ort.InferenceSession.create(program.bytes, session).catch((e: unknown) => `ONNX Runtime refused the exported model: ${message(e)}`)
  const held = program.held.length > 0 ? new HeldParams(program.held) : undefined
  let disposed = false
  let queue: Promise<unknown> = Promise.resolve()

  const once = async (feeds: Feeds): Promise<E.Either<BackendError, readonly Tensor[]>> => {
    if (disposed) return E.left(disposedError('ort'))
    const checked = checkFeeds(program.feeds, feeds)
    if (E.isLeft(checked)) return checked
    if (opened === undefined) return E.right([])
    const ortFeeds: Record<string, ort.Tensor> = {}
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
    const fetches: Record<string, ort.Tensor | null> = {}
    for (const name of program.outputs) fetches[name] = null
    if (held !== undefined) for (const [param, output] of program.updates) fetches[output] = held.target(param)
    const s = await opened
    if (typeof s === 'string') return E.left(internalError(s))
    if (disposed) return E.left(disposedError('ort'))
    try {
      const results = await s.run(ortFeeds, fetches)
      held?.swap()
      return E.right(program.outputs.map((name, i) => fromOrt(results[name]!, program.outputSpecs[i]!)))
    } catch (e) {
      return E.left(internalError(`ONNX Runtime failed to run: ${message(e)}`))
    }
  }

  const base: Executable = {
    feeds: program.feeds,
    outputs: program.outputSpecs,
    run: (feeds) => {
      if (held === undefined) return once(feeds)
      const result = queue.then(() => once(feeds))
      queue = result
      return result
    },
    dispose: async () => {
      if (disposed) return
      disposed = true
      await queue
      const s = await opened
      if (s !== undefined && typeof s !== 'string') await s.release()
    },
  }
  return held === undefined ? base : { ...base, params: held }
}
