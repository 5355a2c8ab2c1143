import * as E from 'fp-ts/lib/Either.js'
import type * as ort from 'onnxruntime-node'
import { binding, initOrt } from 'onnxruntime-node/dist/binding.js'

/**
 * An ONNX Runtime session that loads and runs synchronously: the native
 * session object of `onnxruntime-node` (pinned to one exact version), which
 * its public `InferenceSession` wraps.
 *
 * Why not the public session: its `run` defers every run to the next turn of
 * the event loop (`setImmediate`) before running it on this thread, blocking
 * all the same. A training step takes a few hundred microseconds, and that
 * turn cost about 15% of it in the MNIST step at batch 64 (measured in one
 * process, alternating: p50 and mean alike), with the garbage collection
 * work the turn lets in. The native object takes the same feeds, fetches
 * and session options as the public one and writes into preallocated
 * fetches the same way.
 */
export interface NativeSession {
  /**
   * Runs the model: `fetches` names the outputs wanted, each `null` (ONNX
   * Runtime allocates it) or a preallocated tensor it writes into. Every
   * returned tensor holds a fresh copy of its output; throws ONNX Runtime's
   * error.
   */
  readonly run: (feeds: Readonly<Record<string, ort.Tensor>>, fetches: Readonly<Record<string, ort.Tensor | null>>) => Record<string, ort.Tensor>
  /** Releases the session (idempotent). */
  readonly release: () => void
}

/** The first line of an error's message. */
export const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!

/** No run options: the native `run` reads them on every call, so one empty object serves all. */
const noRunOptions = {}

/** Opens a session on the model `bytes`, or says why ONNX Runtime refused it. */
export const openSession = (bytes: Uint8Array, options: ort.InferenceSession.SessionOptions): E.Either<string, NativeSession> => {
  try {
    initOrt()
    const native = new binding.InferenceSession()
    native.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, options)
    let released = false
    return E.right({
      run: (feeds, fetches) => native.run(feeds, fetches, noRunOptions) as Record<string, ort.Tensor>,
      release: () => {
        if (released) return
        released = true
        native.dispose()
      },
    })
  } catch (e) {
    return E.left(`ONNX Runtime refused the exported model: ${firstLine(e)}`)
  }
}
