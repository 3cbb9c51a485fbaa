// The `jwtgate` command run as a child process (dist/bin.js, the file npm links as the binary),
// against a real MockJwksServer and static keys, with configuration files in each form.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateTestKey, MockJwksServer, mintToken, type TestKey } from '@jwtgate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
const SECRET = Buffer.from('an HMAC secret of at least 32 bytes, for tests').toString('base64')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function cli(args: string[], options: { stdin?: Buffer | string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<Run>((resolve, reject) => {
    const env = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env }
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'pipe' })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(options.stdin ?? '')
  })
}

/** A usage or configuration error: exit 2, exactly one line on stderr, no stack trace. */
function expectOneLineError(run: Run, pattern: RegExp) {
  expect(run.code).toBe(2)
  const lines = run.stderr.trimEnd().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^jwtgate: /)
  expect(lines[0]).toMatch(pattern)
  expect(run.stderr).not.toMatch(/\n\s+at /)
}

let idp: MockJwksServer
let ecKey: TestKey
let dir: string
const file = (name: string, content: string) => {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}
const hs256 = (claims: Record<string, unknown>) =>
  mintToken({ key: Buffer.from(SECRET, 'base64'), alg: 'HS256', claims })

beforeAll(async () => {
  idp = await MockJwksServer.start({ keys: ['ES256'] })
  ecKey = await generateTestKey('ES256')
  dir = mkdtempSync(join(tmpdir(), 'jwtgate-cli-'))
})
afterAll(async () => {
  await idp.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('jwtgate explain with flags', () => {
  it('accepts a good token from the JWKS: exit 0, a verdict and the checks, no colours when piped', async () => {
    const token = await idp.sign({ sub: 'alice', roles: ['reader'] })
    const run = await cli(['explain', token, '--jwks-uri', idp.jwksUri, '--issuer', idp.issuer])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^✔ accepted: alice/)
    expect(run.stdout).toContain(`JWKS ${idp.jwksUri}`)
    expect(run.stdout).not.toContain('\u001b[')
    expect(run.stdout).not.toContain(token)
  })

  it('refuses an expired token: exit 1, and --json gives the code and status for scripts', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await idp.sign({ sub: 'alice' }, { now: now - 7200, expiresIn: 60 })
    const run = await cli(['explain', token, '--jwks-uri', idp.jwksUri, '--json'])
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout) as Record<string, unknown>
    expect(report).toMatchObject({ ok: false, code: 'token_expired', status: 401 })
    expect(report.principal).toBeUndefined()
    expect(run.stdout).not.toContain(token)
  })

  it('refuses a token for another audience: exit 1, audience_mismatch', async () => {
    const token = await idp.sign({ sub: 'alice', aud: 'other-api' })
    const run = await cli([
      'explain',
      token,
      '--jwks-uri',
      idp.jwksUri,
      '--audience',
      'my-api',
      '--json',
    ])
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stdout)).toMatchObject({ code: 'audience_mismatch', status: 401 })
  })

  it('takes a static public key from a file (--signing-key @file), and a Bearer prefix on the token', async () => {
    const pem = file('ec.pem', ecKey.publicKeyPem)
    const token = await mintToken({ key: ecKey, claims: { sub: 'bob' } })
    const ok = await cli(['explain', `Bearer ${token}`, '--signing-key', `@${pem}`])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('static signing key')
    // The PEM itself as the value (it starts with dashes, which parseArgs would take for a flag).
    expect((await cli(['explain', token, '--signing-key', ecKey.publicKeyPem])).code).toBe(0)
    const other = await mintToken({ key: await generateTestKey('ES256'), claims: { sub: 'bob' } })
    const bad = await cli(['explain', other, '--signing-key', `@${pem}`, '--json'])
    expect(bad.code).toBe(1)
    expect(JSON.parse(bad.stdout)).toMatchObject({ code: 'signature_invalid' })
  })

  it('reads the token from standard input with "-"', async () => {
    const token = await hs256({ sub: 'carol' })
    const run = await cli(['explain', '-', '--signing-key', SECRET], { stdin: `${token}\n` })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/accepted: carol/)
  })

  it('colours only for a terminal or FORCE_COLOR, and never with NO_COLOR', async () => {
    const token = await hs256({ sub: 'carol' })
    const args = ['explain', token, '--signing-key', SECRET]
    expect((await cli(args, { env: { FORCE_COLOR: '1' } })).stdout).toContain('\u001b[32m')
    expect((await cli(args, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout).not.toContain(
      '\u001b[',
    )
    expect(
      (await cli([...args, '--no-color'], { env: { FORCE_COLOR: '1' } })).stdout,
    ).not.toContain('\u001b[')
  })
})

describe('jwtgate explain --config, every form', () => {
  const domains = (jwksUri: string) => `_meta:
  type: "config"
  config_version: 2
config:
  dynamic:
    authc:
      basic_internal_auth_domain:
        http_enabled: true
        order: 0
        http_authenticator:
          type: basic
          challenge: true
        authentication_backend:
          type: internal
      jwt_static:
        http_enabled: true
        order: 1
        http_authenticator:
          type: jwt
          challenge: false
          config:
            signing_key: "${SECRET}"
            roles_key: roles
        authentication_backend:
          type: noop
      jwt_jwks:
        http_enabled: true
        order: 2
        http_authenticator:
          type: jwt
          challenge: false
          config:
            jwks_uri: "${jwksUri}"
            required_audience: my-api
        authentication_backend:
          type: noop
`

  it('OpenSearch config.yml: finds the jwt domains, asks for --domain when there are several', async () => {
    const config = file('config.yml', domains(idp.jwksUri))
    const token = await hs256({ sub: 'dave', roles: 'admin, ops' })
    expectOneLineError(
      await cli(['explain', token, '--config', config]),
      /2 jwt auth domains \(jwt_static, jwt_jwks\): pick one with --domain/,
    )
    const run = await cli(['explain', token, '--config', config, '--domain', 'jwt_static'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('accepted: dave (roles: admin, ops)')
    expect(run.stdout).toContain('OpenSearch config.yml, auth domain "jwt_static"')
    const jwks = await cli(['explain', token, '--config', config, '--domain', 'jwt_jwks', '--json'])
    expect(jwks.code).toBe(1) // an HS256 token is never verified by a JWKS key
    expectOneLineError(
      await cli(['explain', token, '--config', config, '--domain', 'basic_internal_auth_domain']),
      /no jwt auth domain named "basic_internal_auth_domain" \(jwt domains: jwt_static, jwt_jwks\)/,
    )
  })

  it('one jwt domain in config.yml is used without --domain; flags override the file', async () => {
    const config = file(
      'one-domain.yml',
      domains(idp.jwksUri).replace(/ {6}jwt_static:[\s\S]*?type: noop\n/, ''),
    )
    const token = await idp.sign({ sub: 'erin', aud: 'my-api' })
    expect((await cli(['explain', token, '--config', config])).code).toBe(0)
    const run = await cli(['explain', token, '--config', config, '--audience', 'another', '--json'])
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stdout)).toMatchObject({ code: 'audience_mismatch' })
  })

  it('an http_authenticator.config block, an Aiven user_config, camelCase JSON and YAML', async () => {
    const token = await hs256({ sub: 'frank', iss: 'https://idp.example' })
    const forms: [string, string, string][] = [
      [
        'block.yml',
        `signing_key: "${SECRET}"\nrequired_issuer: https://idp.example\n`,
        'OpenSearch http_authenticator.config',
      ],
      [
        'aiven.json',
        JSON.stringify({ user_config: { jwt: { enabled: true, signing_key: SECRET } } }),
        'Aiven user_config',
      ],
      [
        'aiven-flat.json',
        JSON.stringify({ 'jwt.enabled': true, 'jwt.signing_key': SECRET }),
        'Aiven user_config',
      ],
      [
        'options.json',
        JSON.stringify({ signingKey: SECRET, requiredIssuer: 'https://idp.example' }),
        'jwtgate options',
      ],
      [
        'options.yaml',
        `signingKey: "${SECRET}"\nrequiredIssuer: https://idp.example\n`,
        'jwtgate options',
      ],
    ]
    for (const [name, content, form] of forms) {
      const run = await cli(['explain', token, '--config', file(name, content)])
      expect(run.code, `${name}: ${run.stderr}`).toBe(0)
      expect(run.stdout).toContain(form)
    }
  })
})

describe('bad input: one line on stderr, exit 2, never a stack trace', () => {
  it('an unreadable file', async () => {
    expectOneLineError(
      await cli(['explain', 'x.y.z', '--config', join(dir, 'missing.yml')]),
      /cannot read .*missing\.yml: ENOENT/,
    )
  })

  it('an unknown configuration form, text that is not YAML, an unknown option, a disabled Aiven config', async () => {
    expectOneLineError(
      await cli(['explain', 'x.y.z', '--config', file('list.yml', '- a\n- b\n')]),
      /unknown configuration form/,
    )
    expectOneLineError(
      await cli(['explain', 'x.y.z', '--config', file('broken.yml', 'a: [1, 2\nb: {')]),
      /neither YAML nor JSON/,
    )
    expectOneLineError(
      await cli([
        'explain',
        'x.y.z',
        '--config',
        file('typo.json', '{"signingKey":"x","jwks_url":"y"}'),
      ]),
      /bad configuration: .*jwks_url/,
    )
    expectOneLineError(
      await cli(['explain', 'x.y.z', '--config', file('off.json', '{"jwt.enabled":false}')]),
      /bad configuration: .*enabled/,
    )
  })

  it('an empty or binary token on standard input', async () => {
    const args = ['explain', '-', '--signing-key', SECRET]
    expectOneLineError(await cli(args, { stdin: '' }), /no token on standard input: it is empty/)
    expectOneLineError(await cli(args, { stdin: '  \n' }), /it is empty/)
    expectOneLineError(
      await cli(args, { stdin: Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff]) }),
      /not text \(byte 0x1f at offset 0\)/,
    )
    expectOneLineError(await cli(args, { stdin: 'a.b.c\nd.e.f\n' }), /several lines/)
  })

  it('no command, an unknown command, an unknown flag, no configuration', async () => {
    expectOneLineError(await cli([]), /no command/)
    expectOneLineError(await cli(['verify', 'x']), /unknown command "verify"/)
    expectOneLineError(
      await cli(['explain', 'x', '--jwks', 'u']),
      /Unknown option '--jwks'.*--help/,
    )
    expectOneLineError(await cli(['explain', 'x.y.z']), /no configuration/)
    expectOneLineError(await cli(['explain', 'x.y.z', '--config']), /argument missing/)
    expectOneLineError(
      await cli(['explain', 'x.y.z', '--jwks-uri', '-x']),
      /argument is ambiguous.*--help/,
    )
  })

  it('an unreachable identity provider: exit 2 and says so', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    await new Promise((resolve) => server.close(resolve))
    const token = await idp.sign({ sub: 'alice' })
    const run = await cli(['explain', token, '--jwks-uri', `http://127.0.0.1:${String(port)}/jwks`])
    expect(run.code).toBe(2)
    expect(run.stdout).toContain('jwks_unavailable')
    expect(run.stderr.trim()).toBe(
      'jwtgate: the identity provider is unreachable (jwks_unavailable)',
    )
  })
})

describe('help and version', () => {
  it('--help prints the usage and exits 0; --version the version', async () => {
    const help = await cli(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: jwtgate explain/)
    const version = await cli(['--version'])
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })
})
