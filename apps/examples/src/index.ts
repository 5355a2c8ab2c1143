/**
 * The lecture's examples, each a function that runs it and returns its
 * results (loss curve, final parameters, what it is compared against)
 * without printing: a single linear neuron by batch and stochastic GD
 * against the least-squares solution ({@link linearRegression}), a logsig
 * neuron with its gradient checked against the lecture's formula
 * ({@link logsigNeuron}), XOR with a 2-2-1 logsig network ({@link xor}), and
 * a short MNIST run that streams its loss curve ({@link mnistCurve}); and
 * three research tasks on the short path, each beside its JAX equivalent:
 * Newton's method with the symbolic Hessian ({@link newtonRosenbrock}), a
 * network with a skip connection and an L2 penalty trained with metrics
 * ({@link skipConnectionL2}) and the deltas of a 3-5-4-2 network
 * ({@link deltas342}).
 * `src/main.ts` runs one by name and prints its curve as a text chart.
 *
 * @example
 * ```ts
 * import * as E from 'fp-ts/lib/Either.js'
 * import { linearRegression, lineChart } from '@backprop/examples'
 *
 * const result = await linearRegression()
 * if (E.isRight(result)) console.log(lineChart(result.right.gd.curve, { log: true }).join('\n'))
 * ```
 *
 * @packageDocumentation
 */
export { type ExampleError, exampleError } from './errors.js'
export { type ChartOptions, formatNumber, lineChart, resample, sparkline } from './plot.js'
export { leastSquares, linearError, solveLinear } from './least-squares.js'
export { type NeuronActivation, neuronParams, singleNeuron } from './neuron.js'
export { paramValues, type TrainedRun, trainToEnd } from './training.js'
export {
  type LinearRegressionOptions,
  type LinearRegressionResult,
  type NeuronRun,
  linearRegression,
  regressionData,
} from './linear-regression.js'
export {
  type GradientCheck,
  type LogsigNeuronOptions,
  type LogsigNeuronResult,
  checkGradient,
  logsigNeuron,
  separableData,
} from './logsig-neuron.js'
export { type XorOptions, type XorResult, xor, xorData } from './xor.js'
export {
  type MnistCurveOptions,
  type MnistCurveResult,
  type MnistEpoch,
  type MnistProgress,
  mnistCurve,
} from './mnist-curve.js'
export {
  fixed,
  reportGeneralNetwork,
  reportLinearRegression,
  reportLogsigNeuron,
  reportMnist,
  reportVanishingGradients,
  reportXor,
  vector,
} from './report.js'
export { type GeneralNetworkResult, generalNetwork, skipNetFile } from './general-network.js'
export {
  type DepthRun,
  type VanishingGradientsOptions,
  type VanishingGradientsResult,
  vanishingGradients,
} from './vanishing-gradients.js'
export { type Terminal, liveCurve } from './live.js'
export { newtonRosenbrock } from './newton.js'
export { skipConnectionL2 } from './skip-l2.js'
export { deltas342 } from './deltas.js'
export { reportDeltas, reportNewton, reportSkipL2 } from './research-report.js'
export { type ExampleEntry, examples, runExamples } from './cli.js'
