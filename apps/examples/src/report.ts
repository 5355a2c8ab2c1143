// How each example's result reads on a terminal: its loss curve as a text
// chart, the figures, and a one-line conclusion. Pure functions from results
// to lines, so the dispatcher only prints.
import type { LinearRegressionResult, NeuronRun } from './linear-regression.js'
import type { LogsigNeuronResult } from './logsig-neuron.js'
import type { MnistCurveResult } from './mnist-curve.js'
import { formatNumber, lineChart } from './plot.js'
import type { XorResult } from './xor.js'
import { type GeneralNetworkResult, skipNetFile } from './general-network.js'
import type { VanishingGradientsResult } from './vanishing-gradients.js'

/**
 * A number with `digits` significant digits and no trailing zeros.
 *
 * @category Reports
 */
export const fixed = (v: number, digits = 6): string => String(Number(v.toPrecision(digits)))

/**
 * A vector as `[a, b, c]`, each entry with `digits` significant digits.
 *
 * @category Reports
 */
export const vector = (values: readonly number[], digits = 6): string =>
  `[${values.map((v) => fixed(v, digits)).join(', ')}]`

const percent = (fraction: number): string => `${(100 * fraction).toFixed(1)}%`

// E itself levels off at E(w*) > 0 (the data are noisy), so the chart shows
// the excess E - E(w*) on a log scale, where batch GD's linear convergence is
// a straight line. Values at or below 0 (reached within rounding) sit at the bottom.
const runLines = (title: string, run: NeuronRun, minimum: number): string[] => [
  `${title} (learning rate ${run.learningRate}, ${run.steps} steps): E - E(w*) after each epoch`,
  ...lineChart(
    run.curve.map((e) => e - minimum),
    { log: true, xLabel: 'epoch', height: 8 },
  ),
  '',
]

/**
 * The report of the linear-regression example: both loss curves, the
 * weights, and how far each run ended from the least-squares solution.
 *
 * @category Reports
 */
export const reportLinearRegression = (r: LinearRegressionResult): string[] => [
  `Linear regression: one linear neuron y = w^T x, E = 1/2 sum_m (y - t)^2,`,
  `M = ${r.data.size} samples x = [1, x1, x2] (the bias is the weight of the constant input 1).`,
  '',
  ...runLines('Batch GD', r.gd, r.minimumError),
  ...runLines('Stochastic GD, batch size 1', r.sgd, r.minimumError),
  `E at the start ${fixed(r.initialError, 4)}, at w* ${fixed(r.minimumError, 6)}; data generated with w = ${vector(r.trueWeights)}`,
  `batch GD w = ${vector(r.gd.w)}, SGD w = ${vector(r.sgd.w)}, least squares w* = ${vector(r.leastSquares)}: max difference ${formatNumber(r.maxDifference)}`,
]

/**
 * The report of the logsig-neuron example: the loss curve, the separation
 * reached, and the gradient check against the lecture's formula.
 *
 * @category Reports
 */
export const reportLogsigNeuron = (r: LogsigNeuronResult): string[] => {
  const g = r.gradientCheck
  return [
    `Logsig neuron: y = sigma(w^T x), E = 1/2 sum_m (y - t)^2, ${r.data.size} separable 2-D samples,`,
    `batch GD with learning rate ${r.lr} for ${r.epochs} epochs:`,
    '',
    ...lineChart(r.curve, { log: true, xLabel: 'epoch', height: 8 }),
    '',
    `after ${r.epochs} epochs: w = ${vector(r.w)}, E = ${fixed(r.curve[r.curve.length - 1]!, 4)}`,
    `gradient of E = 1/2 (y - t)^2 at w = ${vector(g.w)}, x = ${vector(g.x)}, t = ${g.t} (y = ${fixed(g.y)}):`,
    `  symbolic dE/dw                = ${vector(g.symbolic, 10)}`,
    `  lecture's (y - t) y (1 - y) x = ${vector(g.formula, 10)}`,
    `${r.correct}/${r.data.size} samples classified correctly; the symbolic gradient equals the lecture's formula: max difference ${formatNumber(g.maxDifference)}`,
  ]
}

/**
 * The report of the XOR example: the loss curve and the truth table the
 * network computes.
 *
 * @category Reports
 */
export const reportXor = (r: XorResult): string[] => [
  `XOR: a 2-2-1 logsig network with the cross-entropy error, batch GD with learning rate ${r.lr},`,
  `${r.epochs} epochs from initial weights of seed ${r.seed}:`,
  '',
  ...lineChart(r.curve, { log: true, xLabel: 'epoch', height: 8 }),
  '',
  'x1 x2 | t | y',
  ...r.inputs.map(([a, b], i) => ` ${a}  ${b} | ${r.targets[i]} | ${r.outputs[i]!.toFixed(4)}`),
  '',
  `${r.correct}/4 patterns classified correctly; the loss fell from ${fixed(r.curve[0]!, 4)} to ${fixed(r.curve[r.curve.length - 1]!, 4)}`,
]

/**
 * The report of the MNIST example: the whole loss curve, each epoch's
 * figures and the test accuracy.
 *
 * @category Reports
 */
export const reportMnist = (r: MnistCurveResult): string[] => [
  `MNIST: a ${r.layers.join('-')} network (logsig hidden units, softmax outputs, cross-entropy),`,
  `SGD with learning rate ${r.lr} and batches of ${r.batchSize}, on ${r.trainSize} training digits:`,
  '',
  ...lineChart(r.curve, { xLabel: 'step', height: 10 }),
  '',
  ...r.epochs.map(
    (e) =>
      `epoch ${e.epoch}: train loss ${fixed(e.trainLoss, 4)}, test loss ${fixed(e.testLoss, 4)}, test accuracy ${percent(e.testAccuracy)}`,
  ),
  `test accuracy ${percent(r.testAccuracy)} on ${r.testSize} held-out digits (chance is 10%)`,
]

/**
 * The report of the general-network example: the grouping, the loss curve,
 * the accuracy and how closely the symbolic deltas match the delta rule.
 *
 * @category Reports
 */
export const reportGeneralNetwork = (r: GeneralNetworkResult): string[] => [
  `general feed-forward network (${r.spec.units.length} units, skip connections) from ${skipNetFile}`,
  `units grouped into tensors: ${r.groups.map((g) => `[${g.join(', ')}]`).join(' ')}`,
  'training loss per epoch:',
  ...lineChart(r.trainLoss, { xLabel: 'epoch', height: 6 }),
  `test accuracy ${percent(r.testAccuracy)}`,
  `deltas on the test set: symbolic gradient vs the general delta rule differ by at most ${r.deltaDifference.toExponential(1)}`,
  `train it from the command line: backprop train --net ${skipNetFile} --dataset iris --optimizer adam --lr 0.05`,
]

/**
 * The report of the vanishing-gradients example: each layer's delta RMS in
 * the first epoch, logsig and relu side by side.
 *
 * @category Reports
 */
export const reportVanishingGradients = (r: VanishingGradientsResult): string[] => {
  const [logsig, relu] = [r.logsig.epochs[0]!, r.relu.epochs[0]!]
  return [
    `a ${r.sizes.join('-')} network on iris, first epoch: RMS of the deltas dE/da per layer (layer 1 at the inputs)`,
    'layer   logsig      relu',
    ...logsig.map((l, i) => `${String(l.layer).padStart(5)}   ${l.deltaRms.toExponential(2).padEnd(10)}  ${relu[i]!.deltaRms.toExponential(2)}`),
    `layer 1 gets ${r.logsig.reach.toExponential(1)} of the last hidden layer's delta with logsig, ${fixed(r.relu.reach, 2)} with relu:`,
    "logsig' <= 1/4 shrinks the deltas at every layer on the way down (vanishing gradients); relu' = 1 on active units keeps them",
    `training loss per epoch: logsig ${vector([...r.logsig.trainLoss], 3)}, relu ${vector([...r.relu.trainLoss], 3)}`,
  ]
}
