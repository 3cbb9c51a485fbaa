/**
 * Fixed TLS material for tests: a small self-made CA, a server certificate for 127.0.0.1 and
 * localhost, a client certificate and an unrelated CA.
 *
 * TEST-ONLY KEYS. These private keys are public (they are committed to the repository) and
 * protect nothing; never use them outside tests. They are EC P-256 keys with certificates valid
 * for 100 years, generated once with the openssl CLI (Node cannot create X.509 certificates):
 *
 * ```sh
 * openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key   # also other, server, client
 * openssl req -x509 -new -key ca.key -sha256 -days 36500 -subj "/CN=jwtgate test CA (test only)" \
 *   -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
 * openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
 * openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 36500 -sha256 -extfile server.ext -out server.pem
 * #   server.ext: extendedKeyUsage=serverAuth, subjectAltName=IP:127.0.0.1,DNS:localhost
 * #   client.ext: extendedKeyUsage=clientAuth (same CA); other.pem: a second, unrelated self-signed CA
 * ```
 */

/** Test CA certificate (CN=jwtgate test CA (test only)). */
const CA_CERT = `-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUbbwdkWzCyIt03D5/XG+yjk5HinAwCgYIKoZIzj0EAwIw
JjEkMCIGA1UEAwwband0Z2F0ZSB0ZXN0IENBICh0ZXN0IG9ubHkpMCAXDTI2MTEy
NDIzNDE0NFoYDzIxMjYxMDMxMjM0MTQ0WjAmMSQwIgYDVQQDDBtqd3RnYXRlIHRl
c3QgQ0EgKHRlc3Qgb25seSkwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATYbqPC
7QT0K0oEW7IO5ourhoyqVXqCgBDR0VqAgnib32kW3WZdWxccNY2ftNSbF3ECfkzI
IB1rEVy/5hyiximoo2MwYTAdBgNVHQ4EFgQUr439ux59cLoMazJDQ7URhwqiJMIw
HwYDVR0jBBgwFoAUr439ux59cLoMazJDQ7URhwqiJMIwDwYDVR0TAQH/BAUwAwEB
/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwIDSAAwRQIgQJgN0WHAOjUiFpiX
UxAYbJ+zKQCNi7ObMq6iQP3RHYgCIQD3tjvC+oQS9/r83JShh3Qz18XVJRAGLACr
Op8jl3kmZA==
-----END CERTIFICATE-----
`

/** Server certificate signed by the test CA; SAN IP:127.0.0.1, DNS:localhost. */
const SERVER_CERT = `-----BEGIN CERTIFICATE-----
MIIB0DCCAXegAwIBAgIUYUScH66nApYaz7cRgEm9vEEAI0swCgYIKoZIzj0EAwIw
JjEkMCIGA1UEAwwband0Z2F0ZSB0ZXN0IENBICh0ZXN0IG9ubHkpMCAXDTI2MTEy
NDIzNDE0NFoYDzIxMjYxMDMxMjM0MTQ0WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3Qw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS7glhc6czznOW/WmdsflP2L3fmvHuO
zy9mVrM6Tam7bZ6vHiMZum9xVuP0XiSCRtbghxMxkkuNPrawV/jf91/lo4GSMIGP
MAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQMMAoGCCsGAQUF
BwMBMBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAdBgNVHQ4EFgQUVnLvZiWk
QlxXgpTdSdC2IhwoLgUwHwYDVR0jBBgwFoAUr439ux59cLoMazJDQ7URhwqiJMIw
CgYIKoZIzj0EAwIDRwAwRAIgPvOzRe2SSkKUKgLkLzOrJIjrJLxxwqMDUJBuKRhT
KlQCIHRuymJORBiLhBShO/6q50s8iMW5zry63wf6tXmImToQ
-----END CERTIFICATE-----
`

/** TEST-ONLY private key of the server certificate (PKCS#8, EC P-256). */
const SERVER_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNsr6AJtfmJ9Stpn8
W9Cspp5X0Pp2FYK2xWjfdr3nZyGhRANCAAS7glhc6czznOW/WmdsflP2L3fmvHuO
zy9mVrM6Tam7bZ6vHiMZum9xVuP0XiSCRtbghxMxkkuNPrawV/jf91/l
-----END PRIVATE KEY-----
`

/** Client certificate (extendedKeyUsage clientAuth) signed by the test CA. */
const CLIENT_CERT = `-----BEGIN CERTIFICATE-----
MIIBvDCCAWOgAwIBAgIUYUScH66nApYaz7cRgEm9vEEAI0wwCgYIKoZIzj0EAwIw
JjEkMCIGA1UEAwwband0Z2F0ZSB0ZXN0IENBICh0ZXN0IG9ubHkpMCAXDTI2MTEy
NDIzNDE0NFoYDzIxMjYxMDMxMjM0MTQ0WjAeMRwwGgYDVQQDDBNqd3RnYXRlIHRl
c3QgY2xpZW50MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIYGUmvzyjazKMaYR
ZJGjJWSjCaROwAU7KI4iTDUOwZnkW21xQy4sDpjRpiqlf4MRFPRMWFCJE5C6SYO2
BA9A76N1MHMwDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAww
CgYIKwYBBQUHAwIwHQYDVR0OBBYEFIuMatiCSAREaS/S+IzkQSJf/tBnMB8GA1Ud
IwQYMBaAFK+N/bsefXC6DGsyQ0O1EYcKoiTCMAoGCCqGSM49BAMCA0cAMEQCICwO
1b2ZMi+KiE23hOrHqzrQqHJFb2SZlyYw2U+QtmtoAiA4GlEDO92+kaiJCkx9cL0Z
vp2sq0M/LxbFIP3d8fQ3Bw==
-----END CERTIFICATE-----
`

/** TEST-ONLY private key of the client certificate (PKCS#8, EC P-256). */
const CLIENT_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQga/SZaZi7u2BCz1NN
oSn/lmrbucDFERK/rgV0j44tctehRANCAAQhgZSa/PKNrMoxphFkkaMlZKMJpE7A
BTsojiJMNQ7BmeRbbXFDLiwOmNGmKqV/gxEU9ExYUIkTkLpJg7YED0Dv
-----END PRIVATE KEY-----
`

/** An unrelated self-signed CA that signed none of the certificates above. */
const OTHER_CA_CERT = `-----BEGIN CERTIFICATE-----
MIIBxzCCAW2gAwIBAgIUBsf+hDQM/584MEAe39A6Utd0KjIwCgYIKoZIzj0EAwIw
MDEuMCwGA1UEAwwland0Z2F0ZSB1bnJlbGF0ZWQgdGVzdCBDQSAodGVzdCBvbmx5
KTAgFw0yNjExMjQyMzQxNDRaGA8yMTI2MTAzMTIzNDE0NFowMDEuMCwGA1UEAwwl
and0Z2F0ZSB1bnJlbGF0ZWQgdGVzdCBDQSAodGVzdCBvbmx5KTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABHFjgEd7JozKsCZP2vmWJip7vMxSpUABrq35sCyoi4UL
mg/7sJvgIePxZflDNmJhewy2xv1aZTkQs7dlACL97K6jYzBhMB0GA1UdDgQWBBT+
oXXaLLL0RTCFyfsKWXdopRErvjAfBgNVHSMEGDAWgBT+oXXaLLL0RTCFyfsKWXdo
pRErvjAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAKBggqhkjOPQQD
AgNIADBFAiBB79gCIoBacepknVy8TFaEBNhqc9OTV8CkYkaHoHCXSwIhAIcN2KBc
FIbC5YQ3Sgj0uQkOVmIqjtWgVSeYTIMYoxlk
-----END CERTIFICATE-----
`

/** PEM texts returned by {@link createTlsFixtures}. All keys are test-only and public. */
export interface TlsFixtures {
  /** Certificate of the test CA that signed `cert` and `clientCert`. */
  ca: string
  /** Server certificate for `127.0.0.1` and `localhost`, signed by `ca`. */
  cert: string
  /** Private key (PKCS#8 PEM) of `cert`. */
  key: string
  /** Client certificate (clientAuth), signed by `ca`, for mutual-TLS tests. */
  clientCert: string
  /** Private key (PKCS#8 PEM) of `clientCert`. */
  clientKey: string
  /** An unrelated CA: trusting only this one must make the TLS handshake fail. */
  otherCa: string
}

/**
 * Returns the committed test-only TLS material: a CA, a server certificate for 127.0.0.1 /
 * localhost, a client certificate signed by the same CA, and an unrelated CA.
 *
 * The keys are public and valid until 2126; they exist so HTTPS code paths can be tested
 * without generating certificates at run time. Never use them outside tests.
 *
 * @returns a fresh object holding PEM texts
 *
 * @example
 * ```ts
 * const tls = createTlsFixtures()
 * const server = await MockJwksServer.start({ tls: { key: tls.key, cert: tls.cert } })
 * // trust tls.ca in the client; tls.otherCa must be rejected
 * ```
 */
export function createTlsFixtures(): TlsFixtures {
  return {
    ca: CA_CERT,
    cert: SERVER_CERT,
    key: SERVER_KEY,
    clientCert: CLIENT_CERT,
    clientKey: CLIENT_KEY,
    otherCa: OTHER_CA_CERT,
  }
}
