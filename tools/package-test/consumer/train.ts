// A consumer's own training run: a small network on iris through
// @backprop/trainer on @backprop/backend-cpu, from the installed packages.
import { cpuBackend } from '@backprop/backend-cpu'
import { loadIris } from '@backprop/data'
import { initParams, layered } from '@backprop/nn'
import { momentum, train, type TrainEvent } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { lastValueFrom, toArray } from 'rxjs'

const spec = { sizes: [4, 6, 3], activations: ['tanh', 'softmax'], loss: 'softmax-cross-entropy' } as const
const split = loadIris({ seed: 2, normalize: true })
const params = initParams(spec, { seed: 2 })
if (E.isLeft(split) || E.isLeft(params)) throw new Error('cannot prepare the run')

const events: TrainEvent[] = await lastValueFrom(
  train({
    model: (batch) => layered({ ...spec, batch }),
    backend: cpuBackend(),
    data: split.right.train,
    test: split.right.test,
    params: params.right,
    optimizer: momentum({ lr: 0.1, beta: 0.9 }),
    epochs: 30,
    batchSize: 8,
  }).pipe(toArray()),
)
const epochs = events.flatMap((e) => (e.type === 'epoch' ? [e] : []))
const done = events[events.length - 1]
if (done?.type !== 'done') throw new Error(`the run did not finish: ${JSON.stringify(done)}`)
const [first, last] = [epochs[0]!, epochs[epochs.length - 1]!]
if (!(last.trainLoss < first.trainLoss * 0.9)) throw new Error(`the loss did not fall: ${first.trainLoss} -> ${last.trainLoss}`)
if (done.testAccuracy === null || done.testAccuracy < 0.85) throw new Error(`test accuracy ${done.testAccuracy}`)
console.log(`trained: loss ${first.trainLoss.toFixed(3)} -> ${last.trainLoss.toFixed(3)}, test accuracy ${done.testAccuracy}`)
