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

/**
 * How fast `op` runs against `base`, measured in pairs: short batches of the two (about `batchMs`
 * each) alternate, the one that goes first alternating too, for about `ms` of each in all; the
 * answer is the median over pairs of (time of `base`) / (time of `op`), so above 1 when `op` is
 * faster. Adjacent batches share the machine's state: a disturbance longer than a pair slows both
 * and cancels out of the ratio, and one that hits a single batch is an outlier the median drops.
 * This is what the "× floor" targets use; medians of separate slices cannot tell a 3 % gap from a
 * neighbour's burst on a shared VM.
 */
export function pairedRatio(base: Op, op: Op, ms: number, batchMs = 2): number {
  return median(pairs(base, op, ms, batchMs).map(([b, o]) => b / o))
}

/**
 * What `op` costs more than `base` per call, in nanoseconds, measured in pairs as
 * {@link pairedRatio} does: the median over pairs of the difference of their per-call times.
 */
export function pairedDifferenceNs(base: Op, op: Op, ms: number, batchMs = 2): number {
  return median(pairs(base, op, ms, batchMs).map(([b, o]) => o - b))
}

/** Per-call nanoseconds of `base` and `op` in alternating batches: [base, op] per pair. */
function pairs(base: Op, op: Op, ms: number, batchMs: number): (readonly [number, number])[] {
  // Calibrate: how many calls of the slower one fit in a batch (both use the same count).
  const perCall = Math.max(nsPerCall(base, batchMs), nsPerCall(op, batchMs))
  const batch = Math.max(1, Math.round((batchMs * 1e6) / perCall))
  const count = Math.max(25, Math.round(ms / batchMs))
  const out: (readonly [number, number])[] = []
  let i = 0
  for (let p = 0; p < count; p++) {
    const baseFirst = (p & 1) === 0
    const a = timeBatch(baseFirst ? base : op, i, batch) / batch
    const b = timeBatch(baseFirst ? op : base, i, batch) / batch
    i += batch
    out.push(baseFirst ? [a, b] : [b, a])
  }
  return out
}

function timeBatch(op: Op, from: number, count: number): number {
  const start = process.hrtime.bigint()
  for (let j = 0; j < count; j++) op(from + j)
  return Number(process.hrtime.bigint() - start)
}

function nsPerCall(op: Op, ms: number): number {
  const start = process.hrtime.bigint()
  let n = 0
  let elapsed = 0
  do {
    op(n++)
    elapsed = Number(process.hrtime.bigint() - start)
  } while (elapsed < ms * 1e6)
  return elapsed / n
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
