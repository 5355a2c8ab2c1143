import type * as E from 'fp-ts/lib/Either.js'
import type { ReplayLimits } from './replay-buffer.js'
import type { Params } from '@backprop/trainer'
import type { StartRun } from './run-manager.js'
import type { FieldErrors, RunSettings } from './settings.js'

/**
 * One test sample drawn as a grey-level image, for the page's strip of
 * examples a network gets wrong.
 *
 * @category Server
 */
export interface SampleImage {
  /** The sample's position in the test set, from 0 (as epoch events' `misclassified` name it). */
  readonly sample: number
  /** Width in pixels. */
  readonly width: number
  /** Height in pixels. */
  readonly height: number
  /** `width * height` grey levels from 0 (blank) to 255 (ink), row by row. */
  readonly pixels: readonly number[]
}

/**
 * A tensor's numbers in short: its size, norm and range, and its entries
 * (all of them for a small tensor, else the first few).
 *
 * @category Server
 */
export interface NumberSummary {
  /** How many entries it has. */
  readonly size: number
  /** Its Euclidean (Frobenius) norm. */
  readonly norm: number
  /** Its smallest entry. */
  readonly min: number
  /** Its largest entry. */
  readonly max: number
  /** Its entries in row-major order: all of them when `values.length === size`, else the first few. */
  readonly values: readonly number[]
}

/**
 * One node of a network's graph at one sample: its value and its adjoint
 * dE/dv, the derivative of the sample's loss E with respect to it.
 *
 * @category Server
 */
export interface NetworkNode {
  /** The node's id in the graph. */
  readonly id: number
  /** Its name on the drawing (`x`, `t`, `W1`, `a1`, `y`, `E`, ...), or `null` for an unnamed step. */
  readonly name: string | null
  /** Its op. */
  readonly op: string
  /** Its shape. */
  readonly shape: readonly number[]
  /** Its value. */
  readonly value: NumberSummary
  /** dE/dv, of the same shape; `null` for a node E does not depend on. */
  readonly adjoint: NumberSummary | null
}

/**
 * A network's graph at its current parameters on one test sample, as
 * `GET /network?sample=N` serves it: the drawing, and the numbers on it.
 *
 * @category Server
 */
export interface NetworkView {
  /** The sample's position in the test set, from 0. */
  readonly sample: number
  /** The sample's target row. */
  readonly target: readonly number[]
  /** The network's output row y for it. */
  readonly output: readonly number[]
  /** The loss E on this sample alone. */
  readonly loss: number
  /** The forward graph drawn as SVG, each node labelled with its value and adjoint. */
  readonly svg: string
  /** Every node of the forward graph. */
  readonly nodes: readonly NetworkNode[]
}

/**
 * How to run the dashboard. The dashboard knows nothing of datasets, models
 * or backends: the caller (the `backprop dashboard` command) passes in how
 * to start a run and how to draw its graph.
 *
 * @category Server
 */
export interface DashboardOptions {
  /** The port to listen on (default 8080); 0 picks a free one (see {@link Dashboard.url}). */
  readonly port?: number
  /** The address to listen on: always the loopback interface. */
  readonly host?: '127.0.0.1'
  /** Starts a training run; see {@link StartRun}. */
  readonly startRun: StartRun
  /**
   * Draws the model's graph with its appended derivative part as SVG (the
   * rendering of `backprop graph`), or says in one line why it cannot.
   * Without it the page shows no graph.
   */
  readonly graphSvg?: (settings: RunSettings) => Promise<E.Either<string, string>>
  /**
   * Computes and draws the network of a run with `settings` at `params` on
   * test sample `sample` (see {@link NetworkView}), or says in one line why
   * it cannot. Without it the page shows no network view.
   */
  readonly networkAt?: (settings: RunSettings, params: Params, sample: number) => Promise<E.Either<string, NetworkView>>
  /**
   * Checks settings beyond their form (the dashboard checks types and
   * ranges itself), e.g. that the first layer size fits the dataset; returns
   * a message per invalid setting, empty when they are fine.
   */
  readonly validate?: (settings: RunSettings) => FieldErrors
  /**
   * The test samples of a run with `settings` as images, for image data
   * sets (MNIST); a one-line reason otherwise. Without it the page shows no
   * misclassified examples.
   */
  readonly sampleImages?: (
    settings: Readonly<Record<string, unknown>>,
    samples: readonly number[],
  ) => Promise<E.Either<string, readonly SampleImage[]>>
  /** The settings the page's form starts with and that fill in fields a request leaves out (default {@link defaultSettings}). */
  readonly defaults?: RunSettings
  /** Live step events go to each client at most once per this many ms (default 100; 0 sends every one). */
  readonly stepInterval?: number
  /** How much of a run is kept for clients that join late (see {@link ReplayLimits}). */
  readonly replay?: ReplayLimits
  /**
   * The log directory: every run started here is kept in it as
   * `<run-id>/settings.json` and `<run-id>/events.jsonl`, and `GET /runs`
   * lists its runs, including those `backprop train --log-dir` writes there.
   * Without it runs are not kept and `/runs` lists none.
   */
  readonly logDir?: string
}

/**
 * A running dashboard server.
 *
 * @category Server
 */
export interface Dashboard {
  /** The page's address, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string
  /** Stops a running run, ends every event stream and closes the server; a second call waits for the same close. */
  readonly close: () => Promise<void>
}
