import * as E from 'fp-ts/lib/Either.js'
import {
  type BackendError,
  checkFeeds,
  type Feeds,
  type FeedSpec,
  missingFeed,
  type ParamStore,
  type Tensor,
} from '@backprop/backend'
import type * as ort from 'onnxruntime-node'
import { allocateOrt, fromOrt } from './ort-tensors.js'

/**
 * Parameters (and optimiser slots) held as ONNX Runtime tensors in two
 * preallocated sets: a run reads the current set and writes the updated
 * values straight into the other one, then the two swap. No step copies a
 * parameter through a JavaScript array of its own; only `read` and `write`
 * copy, as the {@link ParamStore} contract asks.
 */
export class HeldParams implements ParamStore {
  readonly names: readonly string[]
  private current: Map<string, ort.Tensor>
  private next: Map<string, ort.Tensor>
  private readonly known = new Set<string>()

  constructor(private readonly specs: readonly FeedSpec[]) {
    this.names = specs.map((s) => s.name)
    const set = () => new Map(specs.map((s) => [s.name, allocateOrt(s)]))
    this.current = set()
    this.next = set()
  }

  /** The tensor a run reads for `name`: the one given with the run, else the held one, else `MissingFeed`. */
  feed(name: string, given: ort.Tensor | undefined): E.Either<BackendError, ort.Tensor> {
    if (given !== undefined) return E.right(given)
    if (!this.known.has(name)) return E.left(missingFeed(this.specs.find((s) => s.name === name)!))
    return E.right(this.current.get(name)!)
  }

  /** The preallocated tensor a run writes the update of `name` into. */
  target(name: string): ort.Tensor {
    return this.next.get(name)!
  }

  /** After a run: the written set becomes the current one. */
  swap(): void {
    ;[this.current, this.next] = [this.next, this.current]
    for (const name of this.names) this.known.add(name)
  }

  read(): E.Either<BackendError, Record<string, Tensor>> {
    const missing = this.specs.find((s) => !this.known.has(s.name))
    if (missing !== undefined) return E.left(missingFeed(missing))
    return E.right(Object.fromEntries(this.specs.map((s) => [s.name, fromOrt(this.current.get(s.name)!, s, true)])))
  }

  write(values: Feeds): E.Either<BackendError, void> {
    const checked = checkFeeds(this.specs, values)
    if (E.isLeft(checked)) return checked
    for (const [name, value] of Object.entries(values)) {
      ;(this.current.get(name)!.data as Float32Array | Float64Array).set(value.data)
      this.known.add(name)
    }
    return E.right(undefined)
  }
}
