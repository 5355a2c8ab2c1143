/**
 * The workers backend: data parallelism over the batch axis with
 * `node:worker_threads` and the CPU backend of `@backprop/backend-cpu`. It
 * implements the same `Backend` interface and passes the same conformance
 * suite as the CPU backend.
 *
 * **Who computes what.** `workers: N` means N participants: the calling
 * thread (the one that calls `run`) and N - 1 worker threads, one per core
 * by default. `compile(graph, outputs, { batchInputs: ['x', 't'] })`
 * splits the M samples on axis 0 of the named inputs into N contiguous
 * shards (sizes differing by at most one, the larger first; a batch smaller
 * than N gets one shard per sample). Shard 0 is computed by the calling
 * thread itself, in-process, with the CPU backend, while worker thread k
 * computes shard k: so `workers: 2` is the calling thread plus one worker
 * thread, and never more threads than cores are busy. Each shard runs a
 * *shard graph*, derived once per shard size at compile time from the full
 * graph (and sent to its worker once, as graph JSON): the batch inputs get
 * m rows instead of M, reshapes and broadcasts on the batch axis follow,
 * and the nodes are rebuilt through the builder. Constants keep their
 * values, so the 1/M of a mean stays the full batch's 1/M and the shards'
 * losses and gradients are exact parts of the full batch's (means weighted
 * by shard size). A batch-axis analysis decides how each requested output
 * combines:
 *
 * - outputs that keep the batch axis (predictions `[M, K]`) are
 *   concatenated along it, in shard order;
 * - outputs from which the batch was summed out (the loss, parameter
 *   gradients: sums over samples, including a matmul contracting the
 *   samples such as `x^T delta`, and anything linear in such sums) are
 *   added in shard order, ((shard 0 + shard 1) + shard 2) + ..., so the
 *   result never depends on which worker finishes first; a
 *   batch-independent term added to such a sum (a weight penalty, say) is
 *   added by shard 0 alone;
 * - outputs that do not depend on the batch are computed by shard 0 only.
 *
 * The analysis only splits what it can prove to be exact. A graph that mixes
 * samples (a maximum or softmax across the batch axis, a nonlinear function
 * of a batch sum such as batch normalisation, a product of samples with
 * samples) is not split: the calling thread computes the whole graph, as
 * the CPU backend would, and {@link WorkersExecutable.unsplitReason} names
 * the first node that mixes samples. So do runs compiled without
 * `batchInputs`, with `workers: 1`, or of one sample, and graphs that do
 * too little work per run to repay handing a worker its share (below
 * `minFlops`, by default {@link DEFAULT_MIN_FLOPS}: an iris-sized network
 * runs as fast on `workers` as on `cpu`, never slower).
 *
 * **Data movement.** Each executable owns its run buffers: a run takes one
 * (overlapping runs each get their own, and later runs reuse them), a
 * `SharedArrayBuffer` that is also the memory of a small WebAssembly
 * module. Per run:
 *
 * 1. the calling thread validates the feeds, then copies into the run
 *    buffer, once, what the workers read: the parameters and other unsplit
 *    feeds, then each worker's rows of the batch inputs, starting that
 *    worker's run as soon as its rows are in place (by ringing its
 *    doorbell, see below, or else with a run message). Shard 0's rows
 *    are never copied: the calling thread reads them in place from the
 *    caller's arrays (the CPU executable copies them into its own buffers,
 *    as it does for any feed). Batch inputs that the caller gives in
 *    `SharedArrayBuffer` memory are not copied at all: the run message
 *    tells each worker where its rows are, and it reads them there (the
 *    backend's `sharedBatchInputs`; the trainer draws its batches into such
 *    arrays);
 * 2. each worker runs its shard on typed-array views of the run buffer (no
 *    copy, no serialisation) and writes its outputs straight into its own
 *    region of the same buffer (the CPU backend's `runInto`: no output
 *    arrays are allocated in a worker); then it stores the run id in its
 *    control word (a word of the buffer, one per worker) and wakes the
 *    calling thread with `Atomics.notify`. No reply message is sent,
 *    nothing is transferred. Then it waits at its doorbell, four shared
 *    words, for up to 20 ms (in `Atomics.wait`, which costs no CPU): the
 *    next run of the same executable on the same buffers (every training
 *    step after the first) is started by writing its ids there and waking
 *    the worker, which takes microseconds where a message through the
 *    worker's event loop took tenths of a millisecond; a message posted
 *    meanwhile wakes it to read its messages at once;
 * 3. meanwhile the calling thread computes shard 0, its outputs written
 *    into shard 0's region of the buffer, and waits for the control words
 *    with `Atomics.wait` (for up to 50 ms, or as long as its own shard took
 *    if that is longer; a worker that is later than that, or failed,
 *    answers with a message through the event loop instead);
 * 4. sums are added up in place in the buffer by the module's SIMD loop
 *    (f32x4, f64x2; a plain loop where WebAssembly SIMD is missing), in
 *    shard order, and copied out; batch-axis outputs are concatenated. Every
 *    array a run returns is a fresh one that belongs to the caller; feeds
 *    are never mutated.
 *
 * **Held parameters.** Compiled with `updates` (see `CompileOptions` in
 * `@backprop/backend`), an executable holds the parameters itself, as the
 * CPU backend's does, and the trainer then feeds only the batch: this is
 * the path `backprop train --backend workers:N` takes. The batch analysis
 * runs over the outputs and the update values together and cuts the graph
 * where the batch is summed out (a loss's sum over samples, `x^T delta`,
 * or a transpose of those): the shards compute up to those sums, and the
 * calling thread adds them up and computes everything after them in one
 * place (the loss's scaling, the optimiser's update, which may be
 * nonlinear in the gradients, as Adam's is), writing the new parameter
 * values straight into their slots of the run buffer, where every worker
 * reads them at the next step. Parameters are thus never copied per step;
 * optimiser state (momentum, Adam's moments) stays in the calling thread.
 * Such an executable has a single run buffer and runs one step at a time
 * (overlapping calls are queued); a step that fails (a worker died)
 * applies no part of its update. `params.read()` returns copies.
 *
 * Besides its shard, the calling thread spends about half a millisecond
 * per step of the MNIST 784-128-10 network at batch 512: 0.07 to 0.1 ms
 * starting the run, 0.35 to 0.45 ms on the sums and the update after them
 * (timed inside `backprop train`). On two cores `workers: 2` runs that
 * step about 1.4 to 1.7 times as fast as the CPU backend at batch 512,
 * with parameters fed or held, and no slower at batch 64, which it does
 * not split (`npm run bench` measures all three). Two cores do not make
 * 2x: the bench also times the ideal split, two threads each taking a
 * whole CPU backend step of half the batch and meeting only at the end of
 * each step, which ran 1.4 to 1.9 times as fast as one thread taking the
 * whole batch on the two-core machines measured (the threads slow each
 * other down, and each step waits for the slower of the two halves, which
 * the bench reports: 1.08 to 1.10 times the mean half); `workers: 2`
 * reached 0.82 to 0.95 of it. The rest is that
 * serial part, the worker starting its shard 0.07 to 0.09 ms after the
 * calling thread, and the garbage collection pauses of either thread,
 * which the whole step waits for. End to end (`npm run bench -- --only workers` times whole 5-epoch
 * runs of `backprop train --batch 512`), what a run pays besides its
 * steps is kept off the steps' clock where it can be: the threads boot
 * once per backend (`start()`, which the command calls before loading the
 * data); a worker compiles its shard graph while the calling thread
 * compiles its own (the graph is sent first); every participant then
 * warms its executables up (`CpuExecutable.warmUp`: the pages of its
 * buffers backed, its WebAssembly compiled, its JavaScript run), run
 * buffers are made with their pages written, and `compile` returns only
 * once each worker says its shard is ready. So a program's first real run
 * costs about what its later runs do, and the trainer, which compiles
 * every program of a run before the first epoch, meets no compile inside
 * one. Drawing the batches and the trainer's bookkeeping stay in the
 * calling thread, between steps.
 *
 * **Determinism.** For a given number of participants the shard boundaries
 * and the order of every sum are fixed, so repeated runs (and training runs
 * with the same seed) give identical results, bit for bit, whichever thread
 * finishes first. Across different worker counts, and against the CPU
 * backend, results differ only by the order in which the samples'
 * contributions are added: with f64 that is far below 1e-12 relative for a
 * training step. With f32 each shard's partial sum is rounded to float32
 * and then the partial sums are added (and rounded) once more, instead of
 * one running float32 sum over all M samples; the rounding errors therefore
 * differ, by about float32's precision (1e-7 relative) per step, and over a
 * training run the paths drift apart the way any two float32 summation
 * orders do. Use f64 where results must agree across worker counts.
 *
 * **Faults.** A worker that throws, exits or is terminated while it holds a
 * run makes that run resolve to a `WorkerFailed` error with a one-line
 * message (`worker 1 failed: exited with code 7 before answering`, worker k
 * being the thread of shard k); a dead worker is replaced by a fresh thread
 * on the next run. Callers' tensors are never written, so parameters held
 * by the caller are intact, and an executable that holds parameters
 * applies no part of a failed step. There is no timeout: a worker stuck in a loop
 * is ended by `dispose`.
 *
 * **Threads.** One backend owns a pool of `workers - 1` thread slots
 * (slot k for shard k), shared by all its executables. A slot's thread is
 * started by the first compile that needs it, and every thread is
 * terminated when the last executable is disposed; `dispose()` resolves
 * once they have exited. Idle threads are unreferenced, so they never keep
 * the process from exiting; a thread with a run in flight is referenced, so
 * awaiting a run does. Worker threads end with the process in any case.
 * `start()` starts every thread at once and keeps them until `dispose()`,
 * whatever executables come and go: a caller that knows it will train
 * starts them before loading its data, so that they boot meanwhile and
 * once for all its runs (`backprop train` does).
 *
 * **Where the worker code comes from.** Built JavaScript starts `worker.js`
 * from `dist`. When this package runs from its TypeScript source (vitest,
 * or tsx with the `@backprop/source` condition), each worker registers tsx's
 * loader in its own thread and imports `worker.ts`, with the same condition;
 * tsx must then be installed.
 *
 * @example
 * ```ts
 * import { workersBackend } from '@backprop/backend-workers'
 *
 * // The calling thread and one worker thread, each computing half of every batch.
 * train({ model, backend: workersBackend({ workers: 2 }), data, params, optimizer, epochs: 5, batchSize: 512 })
 * ```
 *
 * @packageDocumentation
 */
export {
  DEFAULT_MIN_FLOPS,
  MAX_WORKERS,
  type WorkersBackend,
  type WorkersBackendOptions,
  workersBackend,
} from './backend.js'
export type { WorkersExecutable } from './runtime/executable.js'
export type { HeldWorkersExecutable } from './runtime/held.js'
export { parseWorkersSpec } from './spec.js'
