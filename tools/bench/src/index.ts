/**
 * The benchmark suite behind `npm run bench` (its entry point is
 * `src/main.ts`): training-step, matrix-product, elementwise and symbolic
 * timings of this library against TensorFlow.js and jax-js. The pieces are
 * exported for ad-hoc runs.
 *
 * @packageDocumentation
 */
export { type Job, alternate, median, type Schedule, timeJob, timeOnce } from './timing.js'
export { backpropFeedJob, backpropJob, batches, initialParams, jaxJob, tfJob, trainingGraph } from './mnist.js'
export { elementwiseJobs, matmulJobs } from './kernels.js'
export { prepareTimes, scaleTimes } from './symbolic.js'
