// Start-up checks of the `jwksTls` PEM material (DESIGN.md, Second wave: unusable `jwksTls`
// material is a ConfigError at start-up, not a 503 at every fetch). Node's TLS layer accepts
// garbage as `ca` without complaint and only fails at handshake time, so each value is parsed
// here, once: CA and client certificates as X.509, the client key (with its passphrase) as a
// private key that must match the client certificate.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { ConfigError } from '../errors.js'
import { ESCAPED_NEWLINES_MESSAGE, hasEscapedNewlines } from '../lib/pem.js'
import type { JwksTlsOptions } from '../types.js'

/** The option names to report for each field, as the caller spelled them. */
export interface TlsOptionNames {
  ca: string
  cert: string
  key: string
  passphrase: string
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g
const ENCRYPTED = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/

/**
 * Throws a {@link ConfigError} naming the option when a CA certificate, the client certificate
 * or the client key cannot be used.
 *
 * @param tls - the resolved TLS options
 * @param names - option names for error messages
 */
export function checkTlsMaterial(tls: JwksTlsOptions, names: TlsOptionNames): void {
  if (tls.ca !== undefined) {
    const list = typeof tls.ca === 'string' ? [tls.ca] : tls.ca
    list.forEach((ca, i) => parseCertificates(ca, list.length > 1 ? `${names.ca}[${i}]` : names.ca))
  }
  if (tls.cert === undefined && tls.key === undefined) return
  if (tls.cert === undefined) throw new ConfigError(names.cert, 'is required when a key is set')
  if (tls.key === undefined) throw new ConfigError(names.key, 'is required when a cert is set')
  const leaf = parseCertificates(tls.cert, names.cert)[0]
  const key = parseKey(tls.key, tls.passphrase, names)
  if (leaf !== undefined && !leaf.checkPrivateKey(key)) {
    throw new ConfigError(names.key, `does not match the certificate in ${names.cert}`)
  }
}

function parseCertificates(text: string, name: string): X509Certificate[] {
  if (hasEscapedNewlines(text)) throw new ConfigError(name, ESCAPED_NEWLINES_MESSAGE)
  const blocks = text.match(CERT_BLOCK)
  if (blocks === null) throw new ConfigError(name, 'holds no PEM certificate (BEGIN CERTIFICATE)')
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block)
    } catch (cause) {
      throw new ConfigError(name, `holds a certificate (#${i + 1}) that does not parse`, { cause })
    }
  })
}

function parseKey(text: string, passphrase: string | undefined, names: TlsOptionNames): KeyObject {
  if (hasEscapedNewlines(text)) throw new ConfigError(names.key, ESCAPED_NEWLINES_MESSAGE)
  const encrypted = ENCRYPTED.test(text)
  if (encrypted && passphrase === undefined) {
    throw new ConfigError(names.key, `is encrypted: set ${names.passphrase}`)
  }
  try {
    return createPrivateKey(
      passphrase === undefined
        ? { key: text, format: 'pem' }
        : { key: text, format: 'pem', passphrase },
    )
  } catch (cause) {
    if (encrypted)
      throw new ConfigError(names.passphrase, `does not decrypt ${names.key}`, { cause })
    throw new ConfigError(names.key, 'is not a PEM private key', { cause })
  }
}
