// Run as a child process by exit.test.ts: compiles and runs a split graph on
// two workers, prints the result, and returns without disposing anything.
// The process must then exit on its own: idle workers must not keep it alive.
import { tensor } from '@backprop/backend'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { workersBackend } from '../index.js'

const { graph, result } = buildOrThrow(emptyGraph, (b) => b.sum(b.square(b.input('x', [4]))))
const backend = workersBackend({ workers: 2, minFlops: 0 })
const exe = backend.compile(graph, [result], { batchInputs: ['x'] })
if (E.isLeft(exe)) throw new Error(exe.left.message)
const out = await exe.right.run({ x: tensor([1, 2, 3, 4], [4]) })
if (E.isLeft(out)) throw new Error(out.left.message)
console.log(JSON.stringify({ shards: exe.right.shards, loss: out.right[0]!.data[0], running: backend.runningWorkers() }))
