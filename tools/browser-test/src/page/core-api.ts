/**
 * What the page built from `core-page.ts` offers the test, as `globalThis.backpropCore`.
 * The test sends the inputs, the page computes with the core packages, and the
 * test compares what comes back with closed forms of its own.
 */

/** The expression the page parses and differentiates twice: f(x, y). */
export const expression = 'x^2*y + sin(x*y)'

/** f, its gradient and its Hessian at a point, from symbolic derivative graphs. */
export interface Derivatives {
  readonly value: number
  /** [df/dx, df/dy] */
  readonly gradient: readonly number[]
  /** [[d2f/dx2, d2f/dxdy], [d2f/dydx, d2f/dy2]] */
  readonly hessian: readonly (readonly number[])[]
  /** The simplified df/dx and df/dy printed as text, then parsed again and evaluated at the point. */
  readonly printed: readonly { readonly text: string; readonly value: number }[]
}

/** How the CPU backend compiled an executable (from `statsOf`). */
export interface CompiledAs {
  readonly target: string
  readonly counts: Readonly<Record<string, number>>
  readonly moduleBytes: number
  readonly fma: boolean
}

/** Row-major A [m, k] and B [k, n]. */
export interface MatmulInput {
  readonly m: number
  readonly k: number
  readonly n: number
  readonly a: readonly number[]
  readonly b: readonly number[]
}

/** E = sum(tanh(A B)) and dE/dB in float32, on the backend's default ('auto') and JavaScript kernels. */
export interface MatmulResult {
  readonly auto: { readonly value: number; readonly gradB: readonly number[]; readonly compiled: CompiledAs }
  readonly js: { readonly value: number; readonly gradB: readonly number[]; readonly compiled: CompiledAs }
}

/** Named parameter values, row-major. */
export type Params = Readonly<Record<'W1' | 'b1' | 'W2' | 'b2', readonly number[]>>

/**
 * A 2-layer network y = sigmoid(tanh(x W1 + b1) W2 + b2) trained by plain SGD on
 * the mean binary cross-entropy, starting from `init`.
 */
export interface TrainInput {
  /** Rows of x, [points, inputs]. */
  readonly x: readonly (readonly number[])[]
  /** One target in {0, 1} per row. */
  readonly t: readonly number[]
  readonly hidden: number
  readonly init: Params
  readonly lr: number
  readonly steps: number
}

/** The loss before every step and after the last, the first step's gradients, the final outputs. */
export interface TrainResult {
  readonly losses: readonly number[]
  readonly firstGradients: Params
  readonly outputs: readonly number[]
  readonly compiled: CompiledAs
}

/** The page's functions. */
export interface CoreApi {
  derivatives(at: { readonly x: number; readonly y: number }): Derivatives
  matmul(input: MatmulInput): MatmulResult
  train(input: TrainInput): TrainResult
}
