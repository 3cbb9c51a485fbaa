// Human output: a verdict line, what was used, the decoded token, then each check. Colours only
// when the output is a terminal and NO_COLOR is unset (https://no-color.org).

/** One check of an explanation (DESIGN.md, Public API: `explain()`). */
export interface ExplainStep {
  readonly check: string
  readonly ok: boolean
  readonly detail: string
}

/** What `authenticator.explain()` returns; every field but `ok` and `steps` is optional to rely on. */
export interface ExplanationLike {
  readonly ok: boolean
  readonly code?: string
  readonly status?: number
  readonly principal?: {
    readonly subject: string
    readonly roles?: readonly string[]
    readonly scopes?: readonly string[]
    readonly claims?: Readonly<Record<string, unknown>>
    readonly header?: Readonly<Record<string, unknown>>
    /** Never printed. */
    readonly token?: string
  }
  readonly steps: readonly ExplainStep[]
  readonly header?: Readonly<Record<string, unknown>>
  readonly claims?: Readonly<Record<string, unknown>>
  readonly claimsVerified?: boolean
  readonly key?: Readonly<Record<string, unknown>>
  readonly clock?: { readonly now: number; readonly skewSeconds: number }
}

/** What the report says about the configuration used. */
export interface ReportContext {
  /** e.g. `OpenSearch config.yml, auth domain "jwt_auth_domain"`, or `flags` */
  readonly source: string
  /** e.g. `JWKS https://idp.example/jwks.json` */
  readonly keys: string
}

/** ANSI styles, or none. */
export interface Styles {
  readonly green: (s: string) => string
  readonly red: (s: string) => string
  readonly bold: (s: string) => string
  readonly dim: (s: string) => string
}

/**
 * Styles for a stream: colours for a terminal without NO_COLOR, plain text otherwise.
 *
 * @param isTTY - whether the output is a terminal
 * @param env - the environment (NO_COLOR, FORCE_COLOR)
 * @param noColor - `--no-color`
 */
export function stylesFor(
  isTTY: boolean,
  env: Readonly<Record<string, string | undefined>>,
  noColor: boolean,
): Styles {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0'
  const on = !noColor && (env.NO_COLOR === undefined || env.NO_COLOR === '') && (isTTY || forced)
  const wrap = (open: number, close: number) => (s: string) =>
    on ? `\u001b[${String(open)}m${s}\u001b[${String(close)}m` : s
  return { green: wrap(32, 39), red: wrap(31, 39), bold: wrap(1, 22), dim: wrap(2, 22) }
}

/** Printable, one-line, bounded text: token data is attacker-chosen, so no control or bidi character reaches the terminal. */
function safe(text: string, max = 400): string {
  const escaped = text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
  return escaped.length > max
    ? `${escaped.slice(0, max)}… (${String(escaped.length)} characters)`
    : escaped
}

/** A value from the token as one line of JSON. */
function show(value: object): string {
  return safe(JSON.stringify(value))
}

/**
 * The human report.
 *
 * @param why - the explanation
 * @param context - the configuration used
 * @param s - styles
 * @returns lines of text, ending with a newline
 */
export function renderHuman(why: ExplanationLike, context: ReportContext, s: Styles): string {
  const lines: string[] = []
  if (why.ok) {
    const p = why.principal
    const roles =
      p?.roles !== undefined && p.roles.length > 0
        ? ` (roles: ${p.roles.map((r) => safe(r, 80)).join(', ')})`
        : ''
    lines.push(`${s.green('✔ accepted')}: ${s.bold(safe(p?.subject ?? '', 200))}${roles}`)
  } else {
    const status = why.status === undefined ? '' : ` (${String(why.status)})`
    lines.push(`${s.red('✘ rejected')}: ${s.bold(why.code ?? 'unknown')}${status}`)
  }
  lines.push('')
  const field = (name: string, value: string) => {
    lines.push(`  ${s.dim(name.padEnd(8))} ${value}`)
  }
  field('config', context.source)
  field('keys', context.keys)
  if (why.header !== undefined) field('header', show(why.header))
  if (why.claims !== undefined) {
    const verified = why.claimsVerified === false ? s.red(' (signature not verified)') : ''
    field('claims', show(why.claims) + verified)
  }
  if (why.key !== undefined) field('key', show(why.key))
  if (why.clock !== undefined) {
    field(
      'clock',
      `${new Date(why.clock.now * 1000).toISOString()} (${String(why.clock.now)}), skew ${String(why.clock.skewSeconds)} s`,
    )
  }
  if (why.steps.length > 0) {
    lines.push('')
    const width = Math.max(...why.steps.map((step) => step.check.length))
    for (const step of why.steps) {
      const mark = step.ok ? s.green('✔') : s.red('✘')
      lines.push(`  ${mark} ${step.check.padEnd(width)}  ${safe(step.detail, 1000)}`)
    }
  }
  return `${lines.join('\n')}\n`
}

/**
 * The `--json` report: the explanation (without the token itself) and the configuration used.
 *
 * @param why - the explanation
 * @param context - the configuration used
 * @returns pretty-printed JSON and a newline
 */
export function renderJson(why: ExplanationLike, context: ReportContext): string {
  let principal: object | undefined
  if (why.principal !== undefined) {
    const { token: _token, ...rest } = why.principal
    principal = rest
  }
  return `${JSON.stringify({ ...why, principal, config: context }, null, 2)}\n`
}
