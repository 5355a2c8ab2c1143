import type { TrainEvent } from '@backprop/trainer'
import type { PreparedRun } from './training.js'

const seconds = (s: number): string =>
  !Number.isFinite(s) ? '?' : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`

const figure = (v: number | null, digits = 4): string => (v === null ? '-' : v.toFixed(digits))

/**
 * Shows a run to a person: on a terminal, a bar redrawn in place with the
 * epoch, the running loss and the estimated time left; then one line per
 * epoch, and the final test accuracy. Off a terminal, only the lines.
 */
export const progressBar = (run: PreparedRun, out: (line: string) => void, tty = process.stderr.isTTY === true) => {
  const { epochs, batch, optimizer } = run.settings
  const perEpoch = optimizer === 'gd' ? 1 : Math.ceil(run.split.train.size / batch)
  const total = perEpoch * epochs
  const started = performance.now()
  let lossSum = 0
  let lossCount = 0
  const s = run.settings
  out(
    `training ${run.net ? `${s.net} (${run.net.units.length} units, ${s.loss})` : `${run.sizes.join('-')} (${s.hidden} hidden, ${s.loss})`} on ${s.dataset}: ${run.split.train.size} train / ` +
      `${run.split.test.size} test samples, ${s.optimizer} lr ${s.lr}, batch ${s.batch}, ${s.epochs} epochs, ${s.dtype}, ${s.backend}`,
  )
  const draw = (step: number, epoch: number) => {
    const width = 30
    const done = Math.round((width * step) / total)
    const elapsed = (performance.now() - started) / 1000
    const eta = (elapsed / step) * (total - step)
    process.stderr.write(
      `\repoch ${epoch}/${epochs} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${Math.round((100 * step) / total)}% ` +
        `loss ${figure(lossSum / Math.max(1, lossCount))} eta ${seconds(eta)}   `,
    )
  }
  return (event: TrainEvent): void => {
    switch (event.type) {
      case 'step':
        lossSum += event.loss
        lossCount++
        if (tty && (event.step % 5 === 0 || event.step === total)) draw(event.step, event.epoch)
        return
      case 'epoch':
        if (tty) process.stderr.write('\r\x1b[K')
        lossSum = 0
        lossCount = 0
        out(
          `epoch ${event.epoch}/${epochs}  train loss ${figure(event.trainLoss)}  test loss ${figure(event.testLoss)}  ` +
            `test accuracy ${figure(event.testAccuracy)}  ${Math.round(event.samplesPerSecond)} samples/s`,
        )
        return
      case 'done':
        out(`done: test accuracy ${figure(event.testAccuracy)} after ${event.epochs} epochs (${seconds((performance.now() - started) / 1000)})`)
        return
      case 'error':
        if (tty) process.stderr.write('\r\x1b[K')
        return
    }
  }
}
