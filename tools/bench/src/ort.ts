/**
 * ONNX Runtime (`@backprop/backend-ort`) beside this library's cpu backend:
 * the MNIST training step as the trainer runs it (parameters held by the
 * backend, SGD updates in the same graph), and its losses beside the cpu
 * backend's. (The matrix product on ONNX Runtime is among the matmul jobs.)
 */
import * as E from 'fp-ts/lib/Either.js'
import { type Executable, tensor } from '@backprop/backend'
import { ortBackend } from '@backprop/backend-ort'
import type { DType } from '@backprop/graph'
import type { TrainingJob } from './agreement.js'
import { backpropJob, batches, heldValues, initialParams, lr, paramFeeds, sizes, trainingGraph } from './mnist.js'
import type { Job } from './timing.js'

const [D, , K] = sizes

/** A job whose `dispose` releases its ONNX Runtime session. */
type OrtJob = Job & { readonly dispose: () => Promise<void> }

const compileOrThrow = (compiled: E.Either<{ readonly message: string }, Executable>): Executable => {
  if (E.isLeft(compiled)) throw new Error(compiled.left.message)
  return compiled.right
}

/**
 * The training step on ONNX Runtime with `threads` intra-op threads, as the
 * trainer runs it on any backend that holds parameters: compiled with
 * `updates`, each run feeds the batch and the learning rate (and the initial
 * parameters once) and resolves to the loss.
 */
export const ortStepJob = (threads: number, batch: number, dtype: DType): OrtJob & TrainingJob => {
  const { graph, loss, updates } = trainingGraph(batch, dtype)
  const exe = compileOrThrow(ortBackend({ threads }).compile(graph, [loss], { batchInputs: ['x', 't'], updates }))
  const params = paramFeeds(dtype)
  const rate = tensor([lr], [], dtype)
  const data = batches(batch, dtype)
  let step = 0
  return {
    params: () => (step === 0 ? initialParams(dtype) : heldValues(exe)),
    run: async () => {
      const b = data[step % data.length]!
      const feeds = { x: { shape: [batch, D], dtype, data: b.x }, t: { shape: [batch, K], dtype, data: b.t }, lr: rate }
      const out = await exe.run(step++ === 0 ? { ...feeds, ...params } : feeds)
      if (E.isLeft(out)) throw new Error(`ort: ${out.left.message}`)
      return out.right[0]!.data[0]
    },
    dispose: () => exe.dispose(),
  }
}

/**
 * The losses of `steps` training steps from the same parameters on the same
 * batches, on the cpu backend and on ONNX Runtime, and the largest relative
 * difference between them: the check that both computed the same thing.
 */
export const compareLosses = async (batch: number, dtype: DType, steps = 8): Promise<{ cpu: number[]; ort: number[]; maxRelDiff: number }> => {
  const cpu = backpropJob(batch, dtype, true)
  const ort = ortStepJob(1, batch, dtype)
  const a: number[] = []
  const b: number[] = []
  for (let i = 0; i < steps; i++) {
    a.push(Number(await cpu.run()))
    b.push(Number(await ort.run()))
  }
  await ort.dispose()
  const maxRelDiff = Math.max(...a.map((v, i) => Math.abs(v - b[i]!) / Math.abs(v)))
  return { cpu: a, ort: b, maxRelDiff }
}
