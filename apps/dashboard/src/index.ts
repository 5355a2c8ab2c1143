/**
 * The live training dashboard: a web server on 127.0.0.1 that starts and
 * stops training runs for a page, streams their events to any number of
 * browsers as Server-Sent Events at `/events` (one `train --json` line per
 * event), and draws the model's graph with its derivative part.
 *
 * The dashboard does not know how to train: `backprop dashboard` passes in
 * `startRun` (and `graphSvg`, `validate`), so this app depends on no other
 * app.
 *
 * @example
 * ```ts
 * import { startDashboard } from '@backprop/dashboard'
 *
 * const dashboard = await startDashboard({ port: 8080, startRun, graphSvg })
 * console.log(`dashboard at ${dashboard.url}`)
 * ```
 *
 * @packageDocumentation
 */
export type { Dashboard, DashboardOptions, NetworkNode, NetworkView, NumberSummary, SampleImage } from './options.js'
export { startDashboard } from './server.js'
export {
  type RunManager,
  type RunState,
  type RunStatus,
  type KeepRun,
  type LatestParams,
  type StartRefusal,
  type StartRun,
  type WatchOptions,
  type WatchedEntry,
  runManager,
} from './run-manager.js'
export { type RunLog, type RunLogError, type RunSummary, type StoredRunState, runLog } from './run-log/run-log.js'
export { type RunWriter, openRun } from './run-log/run-writer.js'
export { type RunRecord, type RunSource, isRunId, newRunId } from './run-log/run-record.js'
export { type EventLines, parseEventLines, parseRunRecord } from './run-log/run-files.js'
export { type ReplayBuffer, type ReplayLimits, type RunEntry, replayBuffer } from './replay-buffer.js'
export { type Decimated, decimated } from './decimated.js'
export { throttleWhere } from './throttle-where.js'
export { type SseEncoding, type SsePacing, sseMessage, streamSse } from './sse.js'
export {
  type FieldErrors,
  type RunSettings,
  type SettingName,
  defaultSettings,
  optionName,
  parseSettings,
  settingChoices,
  settingNamed,
} from './settings.js'
