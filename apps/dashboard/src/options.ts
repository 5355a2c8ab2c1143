import type * as E from 'fp-ts/lib/Either.js'
import type { ReplayLimits } from './replay-buffer.js'
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
