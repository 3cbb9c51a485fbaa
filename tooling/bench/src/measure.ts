// Time-boxed throughput loops. Sync and async contenders get separate loops so a synchronous
// verifier does not pay for an `await` it would never have in real code.

/** A verifier under test: returns (or resolves) on success, throws (or rejects) on failure. */
export type Op = (i: number) => unknown

const BATCH = 64

/** Runs `op` in batches for about `ms` milliseconds; returns operations per second. */
export function throughputSync(op: Op, ms: number): number {
  const start = process.hrtime.bigint()
  const limit = BigInt(Math.round(ms * 1e6))
  let n = 0
  let elapsed = 0n
  do {
    for (let j = 0; j < BATCH; j++) op(n++)
    elapsed = process.hrtime.bigint() - start
  } while (elapsed < limit)
  return n / (Number(elapsed) / 1e9)
}

/** As {@link throughputSync}, awaiting each call in turn. */
export async function throughputAsync(op: Op, ms: number): Promise<number> {
  const start = process.hrtime.bigint()
  const limit = BigInt(Math.round(ms * 1e6))
  let n = 0
  let elapsed = 0n
  do {
    for (let j = 0; j < BATCH; j++) await op(n++)
    elapsed = process.hrtime.bigint() - start
  } while (elapsed < limit)
  return n / (Number(elapsed) / 1e9)
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** The p-th percentile (0..100) of a list, by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

/**
 * CPU time (user + system) per call of `op`, in nanoseconds, over about `ms` of CPU time. CPU time
 * rather than wall time: on a shared machine other processes stretch the wall clock, not our CPU
 * time.
 */
export function cpuNsPerCall(op: () => unknown, ms: number): number {
  const start = process.cpuUsage()
  let n = 0
  let used = 0
  do {
    for (let j = 0; j < 256; j++) op()
    n += 256
    const d = process.cpuUsage(start)
    used = d.user + d.system
  } while (used < ms * 1000)
  return (used * 1000) / n
}
