// Turns the `signingKey` option into bound keys, once, at start-up.
// Rules (DESIGN.md, SECURITY-CATALOGUE SEC-026..036):
// - Anything holding "-----BEGIN" is PEM and must parse as a public key or a certificate; it is
//   never an HMAC secret. Private keys are refused (createPublicKey would silently derive one).
// - Otherwise the text is standard base64 (optional padding; CR/LF ignored, as OpenSearch does).
//   Decoded bytes shaped like a DER SEQUENCE are key material and must parse; the rest is an
//   HMAC secret of at least 32 bytes.
// - A PEM whose line breaks are the two characters `\` `n` (an environment-variable accident)
//   and an RSA key with the ROCA fingerprint (CVE-2017-15361) are ConfigErrors that say so.
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  KeyObject,
  X509Certificate,
} from 'node:crypto'
import { ConfigError } from '../errors.js'
import type { VerificationKey } from '../types.js'
import { ESCAPED_NEWLINES_MESSAGE, hasEscapedNewlines } from '../lib/pem.js'
import { bindKey, ROCA_REASON } from './algorithms.js'

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Imports every configured signing key.
 *
 * @param keys - the normalised `signingKey` list
 * @param optionName - the option name used in error messages
 * @throws {@link ConfigError} naming the entry, e.g. `signingKey[1]`
 */
export function importSigningKeys(
  keys: readonly (string | KeyObject)[],
  optionName = 'signingKey',
): VerificationKey[] {
  return keys.map((key, i) =>
    importSigningKey(key, keys.length > 1 ? `${optionName}[${i}]` : optionName),
  )
}

/**
 * Imports one signing key (see the module comment for the rules).
 *
 * @param key - PEM text, base64 text, or a KeyObject
 * @param name - option path for errors
 */
export function importSigningKey(key: string | KeyObject, name: string): VerificationKey {
  let keyObject: KeyObject
  if (key instanceof KeyObject) {
    keyObject = key
  } else if (typeof key === 'string') {
    if (hasEscapedNewlines(key)) throw new ConfigError(name, ESCAPED_NEWLINES_MESSAGE)
    keyObject = key.includes('-----BEGIN') ? importPem(key, name) : importBase64(key, name)
  } else {
    throw new ConfigError(name, 'must be a string (base64 secret or PEM) or a KeyObject')
  }
  const bound = bindKey(keyObject)
  if (bound === ROCA_REASON) {
    throw new ConfigError(
      name,
      'is an RSA key with the ROCA fingerprint (CVE-2017-15361, Infineon RSALib): its private key can be recovered; generate a new key pair',
    )
  }
  if (typeof bound === 'string') throw new ConfigError(name, `is not usable: ${bound}`)
  return bound
}

function importPem(text: string, name: string): KeyObject {
  const blocks = [...text.replace(/^\uFEFF/, '').matchAll(PEM_BLOCK)]
  if (blocks.length !== 1) {
    throw new ConfigError(name, `must hold exactly one PEM block (found ${blocks.length})`)
  }
  const [block, label = '', body = ''] = blocks[0] ?? []
  if (label.includes('PRIVATE')) {
    throw new ConfigError(name, 'is a private key; configure the public key instead')
  }
  try {
    if (label === 'PUBLIC KEY') return createPublicKey({ key: block ?? '', format: 'pem' })
    if (label === 'RSA PUBLIC KEY') {
      return createPublicKey({ key: decodeStrictBase64(body, name), format: 'der', type: 'pkcs1' })
    }
    if (label === 'CERTIFICATE') return new X509Certificate(block ?? '').publicKey
  } catch (cause) {
    throw new ConfigError(name, `holds a ${label} PEM block that does not parse`, { cause })
  }
  throw new ConfigError(name, `has an unsupported PEM block type "${label}"`)
}

function importBase64(text: string, name: string): KeyObject {
  const bytes = decodeStrictBase64(text, name)
  if (!looksLikeDer(bytes)) return createSecretKey(bytes)
  // Key material: it must parse as a public key; never fall back to HMAC (SEC-029/030).
  // Private keys first: createPublicKey would quietly derive the public half (SEC-031).
  if (isPrivateDer(bytes))
    throw new ConfigError(name, 'is a private key; configure the public key instead')
  for (const attempt of [
    () => createPublicKey({ key: bytes, format: 'der', type: 'spki' }),
    () => createPublicKey({ key: bytes, format: 'der', type: 'pkcs1' }),
    () => new X509Certificate(bytes).publicKey,
  ]) {
    try {
      return attempt()
    } catch {
      // try the next form
    }
  }
  if (isPrivateDer(bytes))
    throw new ConfigError(name, 'is a private key; configure the public key instead')
  throw new ConfigError(name, 'looks like DER key material but is not a parseable public key')
}

function decodeStrictBase64(text: string, name: string): Buffer {
  const compact = text.replace(/[\r\n]/g, '').trim()
  if (compact === '') throw new ConfigError(name, 'must not be empty')
  const unpadded = compact.replace(/=+$/, '')
  const padded =
    unpadded.length % 4 === 0 ? unpadded : unpadded + '='.repeat(4 - (unpadded.length % 4))
  if (
    !BASE64.test(compact) ||
    unpadded.length % 4 === 1 ||
    (compact !== unpadded && compact !== padded)
  ) {
    throw new ConfigError(name, 'is neither PEM nor standard base64')
  }
  const bytes = Buffer.from(unpadded, 'base64')
  if (bytes.toString('base64').replace(/=+$/, '') !== unpadded) {
    throw new ConfigError(name, 'is not canonical base64')
  }
  return bytes
}

/**
 * A DER SEQUENCE header (whatever length it declares) whose first member is a SEQUENCE
 * (SPKI, certificate) or an INTEGER (PKCS#1). A random secret has this shape with a probability
 * of about 3 × 10⁻⁵, and then fails safe with a ConfigError rather than being misread.
 */
function looksLikeDer(b: Buffer): boolean {
  if (b.length < 4 || b[0] !== 0x30) return false
  let len = b[1] ?? 0
  let offset = 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 3 || b.length < 2 + n) return false
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + (b[2 + i] ?? 0)
    offset = 2 + n
  }
  // The declared length is not compared with the buffer: a truncated or padded public key is
  // still key material, and must fail as a key instead of becoming an HMAC secret (SEC-030).
  if (len === 0 || b.length <= offset) return false
  const inner = b[offset]
  return inner === 0x30 || inner === 0x02
}

function isPrivateDer(bytes: Buffer): boolean {
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      createPrivateKey({ key: bytes, format: 'der', type })
      return true
    } catch {
      // not this form
    }
  }
  return false
}
