import { allocate } from '@backprop/backend'
import type { Kernel } from '../kernel.js'

/**
 * `[m,k] x [k,n]`, looping i-k-j so that both the row of `b` and the row of
 * the result are read contiguously. Each result row is accumulated in float64
 * and stored once, so an f32 result is rounded once per element.
 *
 * @category Kernels
 */
export const matmulKernel: Kernel = (node, [left, right]) => {
  const m = left!.shape[0]!
  const k = left!.shape[1]!
  const n = right!.shape[1]!
  const dtype = node.dtype
  return ([x, y]) => {
    const a = x!
    const b = y!
    const out = allocate(dtype, m * n)
    const row = new Float64Array(n)
    for (let i = 0; i < m; i++) {
      row.fill(0)
      for (let p = 0; p < k; p++) {
        const aip = a[i * k + p]!
        const base = p * n
        for (let j = 0; j < n; j++) row[j]! += aip * b[base + j]!
      }
      out.set(row, i * n)
    }
    return out
  }
}
