import * as E from 'fp-ts/lib/Either.js'
import {
  type Backend,
  type BackendError,
  checkOutputs,
  checkUpdates,
  type CompileOptions,
  type Executable,
  feedSpecs,
  internalError,
  outputSpecs,
} from '@backprop/backend'
import type { Graph, NodeId } from '@backprop/graph'
import { toOnnx } from '@backprop/onnx'
import { ortExecutable } from './executable.js'
import { openSession } from './native-session.js'
import { type OrtBackendOptions, sessionOptions } from './options.js'

/** `base`, or `base` with a number appended, whichever is not in `taken`. */
const freshName = (base: string, taken: Set<string>): string => {
  let name = base
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`
  taken.add(name)
  return name
}

/** Compiles `outputs` of `graph` (and the in-place `updates`) into an ONNX Runtime executable. */
const compileOrt = (
  graph: Graph,
  outputs: readonly NodeId[],
  options: CompileOptions,
  session: ReturnType<typeof sessionOptions>,
): E.Either<BackendError, Executable> => {
  const checkedOutputs = checkOutputs(graph, outputs)
  if (E.isLeft(checkedOutputs)) return checkedOutputs
  const updates = checkUpdates(graph, options.updates ?? [])
  if (E.isLeft(updates)) return updates
  const heldNames = new Set((options.updates ?? []).map((u) => u.param))
  const specs = feedSpecs(graph, [...outputs, ...updates.right.map((u) => u.value)])
  if (E.isLeft(specs)) return specs
  const feeds = specs.right.map((s) => (heldNames.has(s.name) ? { ...s, required: false } : s))

  // Output names apart from every feed name, so no model input and output share one.
  const taken = new Set(feeds.map((s) => s.name))
  const outputNames = outputs.map((_, i) => freshName(`output${i}`, taken))
  const updateNames = (options.updates ?? []).map((u) => freshName(`${u.param}_next`, taken))
  const exported = toOnnx(graph, [...outputs, ...updates.right.map((u) => u.value)], { outputNames: [...outputNames, ...updateNames] })
  if (E.isLeft(exported)) return E.left(internalError(exported.left.message))

  // No outputs and no updates: nothing to run (an ONNX model needs an output).
  const opened = outputNames.length + updateNames.length === 0 ? E.right(undefined) : openSession(exported.right.bytes, session)
  if (E.isLeft(opened)) return E.left(internalError(opened.left))
  return E.right(
    ortExecutable(
      {
        inputs: exported.right.inputs.map((v) => v.name),
        outputs: outputNames,
        updates: new Map((options.updates ?? []).map((u, i) => [u.param, updateNames[i]!])),
        feeds,
        outputSpecs: outputSpecs(graph, outputs),
        held: feeds.filter((s) => heldNames.has(s.name)),
      },
      opened.right,
    ),
  )
}

/**
 * A {@link Backend} on ONNX Runtime (`onnxruntime-node`): `compile` exports
 * the graph with `@backprop/onnx` and opens an inference session on it
 * (a model ONNX Runtime refuses is an `Internal` error of `compile`), so
 * a training step (forward, appended derivative and updates, one graph) runs
 * on ONNX Runtime's native kernels. Compiled with
 * {@link CompileOptions.updates}, an executable holds the parameters and
 * optimiser slots as ONNX Runtime tensors and swaps two preallocated sets
 * between runs.
 *
 * @example
 * ```ts
 * const backend = ortBackend({ threads: 1 })
 * const exe = backend.compile(graph, [loss], { updates })
 * ```
 * @category Backend
 */
export const ortBackend = (options: OrtBackendOptions = {}): Backend => {
  const session = sessionOptions(options)
  return {
    name: 'ort',
    compile: (graph, outputs, compileOptions = {}) => compileOrt(graph, outputs, compileOptions, session),
  }
}
