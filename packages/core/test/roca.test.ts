// Issue 14, item 10: RSA keys with the ROCA fingerprint (CVE-2017-15361) are refused.
import { createPublicKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  bindKey,
  ConfigError,
  createStaticAuthenticator,
  hasRocaFingerprint,
  ROCA_PRIMES,
  ROCA_REASON,
} from '../src/index.js'
import { RSA, RSA_OTHER } from './helpers.js'
import { NON_ROCA_PUBLIC_KEY_PEM, ROCA_MODULUS_HEX, ROCA_PUBLIC_KEY_PEM } from './fixtures/roca.js'

const modulusOf = (pem: string): Buffer =>
  Buffer.from(createPublicKey(pem).export({ format: 'jwk' }).n ?? '', 'base64url')

describe('hasRocaFingerprint (the published test, primes 3..167)', () => {
  it('uses the 38 odd primes up to 167', () => {
    expect(ROCA_PRIMES).toHaveLength(38)
    expect(ROCA_PRIMES[0]).toBe(3)
    expect(ROCA_PRIMES.at(-1)).toBe(167)
  })

  it('finds the fingerprint in published vulnerable moduli (bytes or BigInt)', () => {
    expect(hasRocaFingerprint(Buffer.from(ROCA_MODULUS_HEX, 'hex'))).toBe(true)
    expect(hasRocaFingerprint(BigInt(`0x${ROCA_MODULUS_HEX}`))).toBe(true)
    expect(hasRocaFingerprint(modulusOf(ROCA_PUBLIC_KEY_PEM))).toBe(true)
  })

  it('does not find it in the published negative sample, nor in the keys Node generates', () => {
    expect(hasRocaFingerprint(modulusOf(NON_ROCA_PUBLIC_KEY_PEM))).toBe(false)
    for (const { publicKey } of [RSA, RSA_OTHER]) {
      expect(
        hasRocaFingerprint(modulusOf(publicKey.export({ format: 'pem', type: 'spki' }) as string)),
      ).toBe(false)
    }
  })

  it('a fingerprinted modulus changed by one unit no longer has it', () => {
    const n = BigInt(`0x${ROCA_MODULUS_HEX}`)
    expect(hasRocaFingerprint(n + 2n)).toBe(false)
    expect(hasRocaFingerprint(0n)).toBe(false)
    expect(hasRocaFingerprint(new Uint8Array(0))).toBe(false)
  })
})

describe('ROCA keys at import', () => {
  it('bindKey refuses a fingerprinted RSA key with the reason "roca"', () => {
    expect(bindKey(createPublicKey(ROCA_PUBLIC_KEY_PEM))).toBe(ROCA_REASON)
    expect(ROCA_REASON).toBe('roca')
    expect(typeof bindKey(createPublicKey(NON_ROCA_PUBLIC_KEY_PEM))).toBe('object')
  })

  it('a static signingKey with the fingerprint is a ConfigError naming the option', () => {
    let caught: unknown
    try {
      createStaticAuthenticator({ signingKey: [NON_ROCA_PUBLIC_KEY_PEM, ROCA_PUBLIC_KEY_PEM] })
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(ConfigError)
    expect((caught as ConfigError).key).toBe('signingKey[1]')
    expect((caught as ConfigError).message).toMatch(/ROCA fingerprint \(CVE-2017-15361/)
  })

  it('a normal key is accepted', () => {
    expect(() => createStaticAuthenticator({ signingKey: NON_ROCA_PUBLIC_KEY_PEM })).not.toThrow()
  })
})
