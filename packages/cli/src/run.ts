import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { ConfigError, isAuthError, normalizeConfig, type JwtAuthOptions } from '@jwtgate/core'
import { createAuthenticator } from '@jwtgate/jwks'
import { loadConfig, UsageError, type LoadedConfig } from './config.js'
import {
  renderHuman,
  renderJson,
  stylesFor,
  type ExplanationLike,
  type ReportContext,
} from './render.js'
import { cleanToken, readAll } from './token.js'

/** Where the command reads and writes; `process` in the `jwtgate` binary, anything in tests. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean }
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean }
  readonly stderr: NodeJS.WritableStream
  readonly env: Readonly<Record<string, string | undefined>>
}

/** Exit codes of `jwtgate explain`. */
export const EXIT = {
  /** The token is accepted. */
  accepted: 0,
  /** The token is refused. */
  rejected: 1,
  /** Bad usage or configuration, unreadable input, or the identity provider is unreachable. */
  error: 2,
} as const

export const USAGE = `Usage: jwtgate explain [token | -] [options]

Explains why a JWT is accepted or refused, check by check. The token is the argument, or standard
input with "-" (or when no token is given and input is piped).

Configuration (a file, flags, or both; flags win):
  -c, --config <file>            OpenSearch security config.yml, one auth domain, its
                                 http_authenticator.config block, an Aiven user_config, or
                                 jwtgate options (camelCase), as YAML or JSON
      --domain <name>            the jwt auth domain to use when config.yml has several
      --jwks-uri <url>           JWKS endpoint
      --openid-connect-url <url> OIDC discovery document
      --signing-key <key|@file>  static key (base64 HMAC secret, PEM or base64 DER public key)
      --issuer <iss>             required issuer (repeatable)
      --audience <aud>           required audience (repeatable)

Output:
      --json                     machine-readable report on standard output
      --no-color                 no colours (also when NO_COLOR is set or output is not a terminal)
  -h, --help                     this help
  -v, --version                  the version

Exit status: 0 accepted, 1 rejected, 2 bad usage or configuration, or identity provider unreachable.
`

/**
 * Runs the `jwtgate` command.
 *
 * @param argv - the arguments after the program name
 * @param io - standard streams and environment
 * @returns the exit status ({@link EXIT})
 * @example
 * ```ts
 * process.exitCode = await run(process.argv.slice(2), process)
 * ```
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let json = false
  const fail = (message: string): number => {
    io.stderr.write(`jwtgate: ${message}\n`)
    if (json) io.stdout.write(`${JSON.stringify({ ok: false, error: message }, null, 2)}\n`)
    return EXIT.error
  }
  try {
    const { values, positionals } = parseArgs({
      args: pemArguments(argv),
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        domain: { type: 'string' },
        'jwks-uri': { type: 'string' },
        'openid-connect-url': { type: 'string' },
        'signing-key': { type: 'string' },
        issuer: { type: 'string', multiple: true },
        audience: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    })
    json = values.json === true
    if (values.help === true) {
      io.stdout.write(USAGE)
      return EXIT.accepted
    }
    if (values.version === true) {
      io.stdout.write(`${await version()}\n`)
      return EXIT.accepted
    }
    const [command, tokenArg, ...extra] = positionals
    if (command !== 'explain') {
      return fail(
        command === undefined
          ? 'no command: try "jwtgate explain <token> --config <file>" (or --help)'
          : `unknown command "${command}" (the command is "explain"; see --help)`,
      )
    }
    if (extra.length > 0) return fail(`one token at a time (also got "${extra[0] ?? ''}")`)

    // The configuration first: a bad one is reported before any input is read.
    let loaded: LoadedConfig | undefined
    if (values.config !== undefined) {
      let text: string
      try {
        text = await readFile(values.config, 'utf8')
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'unreadable'
        return fail(`cannot read ${values.config}: ${code}`)
      }
      loaded = loadConfig(text, values.domain)
    } else if (values.domain !== undefined) {
      return fail('--domain needs --config')
    }
    const flags: Record<string, unknown> = {}
    if (values['jwks-uri'] !== undefined) flags.jwksUri = values['jwks-uri']
    if (values['openid-connect-url'] !== undefined)
      flags.openidConnectUrl = values['openid-connect-url']
    if (values['signing-key'] !== undefined)
      flags.signingKey = await keyArgument(values['signing-key'])
    if (values.issuer !== undefined) flags.requiredIssuer = values.issuer
    if (values.audience !== undefined) flags.requiredAudience = values.audience
    if (loaded === undefined && Object.keys(flags).length === 0) {
      return fail(
        'no configuration: give --config <file>, or --jwks-uri, --openid-connect-url or --signing-key',
      )
    }
    const options = normalizeConfig({ ...(loaded?.options ?? {}), ...flags }) as JwtAuthOptions
    const context = describe(loaded, options, flags)

    // Then the token.
    let token: string
    if (tokenArg !== undefined && tokenArg !== '-') {
      token = cleanToken(tokenArg, 'the command line')
    } else if (tokenArg === '-' || io.stdin.isTTY !== true) {
      token = cleanToken(await readAll(io.stdin), 'standard input')
    } else {
      return fail('no token: give it as an argument, or "-" to read standard input')
    }

    const authenticator = createAuthenticator(options)
    let why: ExplanationLike
    try {
      why = await explain(authenticator, token, options.jwtHeader ?? 'Authorization')
    } finally {
      await authenticator.close()
    }
    const out = json
      ? renderJson(why, context)
      : renderHuman(
          why,
          context,
          stylesFor(io.stdout.isTTY === true, io.env, values['no-color'] === true),
        )
    io.stdout.write(out)
    if (why.ok) return EXIT.accepted
    if (why.code === 'jwks_unavailable') {
      io.stderr.write('jwtgate: the identity provider is unreachable (jwks_unavailable)\n')
      return EXIT.error
    }
    return EXIT.rejected
  } catch (e) {
    if (e instanceof UsageError) return fail(e.message)
    if (e instanceof ConfigError) return fail(`bad configuration: ${e.message}`)
    if (isArgError(e)) return fail(`${e.message.split('\n', 1)[0] ?? ''} (see --help)`)
    return fail(`unexpected error: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/** The authenticator's own explanation, or, from a jwtgate without explain(), its verdict. */
async function explain(
  authenticator: ReturnType<typeof createAuthenticator>,
  token: string,
  header: string,
): Promise<ExplanationLike> {
  const request = { headers: { [header.toLowerCase()]: `Bearer ${token}` } }
  const withExplain = authenticator as { explain?: (r: typeof request) => Promise<unknown> }
  if (typeof withExplain.explain === 'function') {
    return (await withExplain.explain(request)) as ExplanationLike
  }
  try {
    const principal = await authenticator.authenticate(request)
    return {
      ok: true,
      principal,
      steps: [{ check: 'authenticate', ok: true, detail: 'accepted' }],
    }
  } catch (e) {
    if (!isAuthError(e)) throw e
    return {
      ok: false,
      code: e.code,
      status: e.status,
      steps: [{ check: 'authenticate', ok: false, detail: e.message }],
    }
  }
}

/**
 * `--signing-key "$(cat key.pem)"`: parseArgs takes a value that starts with a dash for a
 * forgotten argument, and a PEM starts with five. Join the two into `--signing-key=<pem>`.
 */
function pemArguments(argv: readonly string[]): string[] {
  const args: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    const next = argv[i + 1]
    if (arg === '--signing-key' && next?.startsWith('-----BEGIN ') === true) {
      args.push(`${arg}=${next}`)
      i++
    } else args.push(arg)
  }
  return args
}

/** `--signing-key @file` reads the key from a file (a PEM usually is one). */
async function keyArgument(value: string): Promise<string> {
  if (!value.startsWith('@')) return value
  try {
    return await readFile(value.slice(1), 'utf8')
  } catch (e) {
    throw new UsageError(
      `cannot read ${value.slice(1)}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    )
  }
}

const FORMS: Record<LoadedConfig['form'], string> = {
  'opensearch-config': 'OpenSearch config.yml',
  'auth-domain': 'OpenSearch auth domain',
  'authenticator-config': 'OpenSearch http_authenticator.config',
  aiven: 'Aiven user_config',
  options: 'jwtgate options',
}

function describe(
  loaded: LoadedConfig | undefined,
  options: JwtAuthOptions,
  flags: Record<string, unknown>,
): ReportContext {
  const parts: string[] = []
  if (loaded !== undefined) {
    parts.push(
      FORMS[loaded.form] + (loaded.domain === undefined ? '' : `, auth domain "${loaded.domain}"`),
    )
  }
  const flagNames = Object.keys(flags)
  if (flagNames.length > 0) parts.push(`flags (${flagNames.join(', ')})`)
  const keys =
    options.jwksUri !== undefined
      ? `JWKS ${options.jwksUri}`
      : options.openidConnectUrl !== undefined
        ? `OIDC discovery ${options.openidConnectUrl}`
        : 'static signing key'
  return { source: parts.join(' + '), keys }
}

function isArgError(e: unknown): e is Error {
  const code = (e as { code?: unknown } | null)?.code
  return e instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')
}

async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}
