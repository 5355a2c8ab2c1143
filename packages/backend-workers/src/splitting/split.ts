/**
 * The sizes of the contiguous shards that `samples` rows are split into for
 * `workers` workers: `min(workers, samples)` shards whose sizes differ by at
 * most one, the larger ones first (10 rows for 4 workers: 3, 3, 2, 2). A
 * batch smaller than the number of workers gets one shard per sample, and
 * fewer than two samples a single shard.
 *
 * @internal
 */
export const shardSizes = (samples: number, workers: number): number[] => {
  const count = Math.min(workers, samples)
  if (count <= 1) return [samples]
  const base = Math.floor(samples / count)
  const extra = samples % count
  return Array.from({ length: count }, (_, k) => base + (k < extra ? 1 : 0))
}

/**
 * The first row of each shard: running sums of `sizes`.
 *
 * @internal
 */
export const shardStarts = (sizes: readonly number[]): number[] => {
  const starts: number[] = []
  let at = 0
  for (const size of sizes) {
    starts.push(at)
    at += size
  }
  return starts
}
