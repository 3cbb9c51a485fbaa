// The token to explain: an argument, or standard input (`-`). Whatever it is, it is checked here
// to be one line of printable ASCII, so that a binary file or an empty pipe gets a one-line error
// instead of a confusing explanation.
import { UsageError } from './config.js'

/** Longest input read from standard input (a token is at most a few KiB; jwtgate's limit is 16). */
const MAX_STDIN_BYTES = 1 << 20

/**
 * Reads a stream to its end, refusing more than 1 MiB.
 *
 * @param stream - standard input
 * @returns its bytes
 * @throws {@link UsageError} past 1 MiB
 */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += buf.length
    if (size > MAX_STDIN_BYTES)
      throw new UsageError('standard input is larger than 1 MiB: not a token')
    chunks.push(buf)
  }
  return Buffer.concat(chunks)
}

/**
 * The token from raw input: surrounding whitespace and a `Bearer ` prefix removed.
 *
 * @param raw - the argument or standard input
 * @param source - `argument` or `standard input`, for the error message
 * @returns the token
 * @throws {@link UsageError} when it is empty, holds non-printable bytes or several lines
 */
export function cleanToken(raw: Buffer | string, source: string): string {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw
  const text = bytes.toString('latin1').trim()
  if (text.length === 0) throw new UsageError(`no token on ${source}: it is empty`)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) {
      throw new UsageError(
        c === 0x0a || c === 0x0d
          ? `the token on ${source} spans several lines: give one token`
          : `the token on ${source} is not text (byte 0x${c.toString(16).padStart(2, '0')} at offset ${String(i)})`,
      )
    }
  }
  return text.replace(/^bearer\s+/i, '')
}
