import { allocate } from '@backprop/backend'
import { sizeOf } from '@backprop/graph'
import type { Kernel } from '../kernel.js'

/**
 * `input` and `param`: the fed tensor's data, by the node's name. Feeds are
 * validated before a run, so the feed is there with the right dtype and size.
 *
 * @category Kernels
 */
export const feedKernel: Kernel = (node) => {
  const name = node.attrs.name!
  return (_operands, feeds) => feeds[name]!.data
}

/**
 * `const`: materialised once at compile time, in the node's dtype (so an f32
 * constant is rounded to float32), and shared by every run. Steps never
 * write into it, and an output that is a constant is copied.
 *
 * @category Kernels
 */
export const constKernel: Kernel = (node) => {
  const data = allocate(node.dtype, sizeOf(node.shape))
  const { values, value } = node.attrs
  if (values !== undefined) data.set(values)
  else data.fill(value!)
  return () => data
}
