import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'

/** Request headers; an array value is sent as that many repeated headers. */
export type Headers = Record<string, string | string[]>

export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: unknown
}

/** GET over a real socket; header values given as arrays are sent as repeated headers. */
export function get(url: string, headers: Headers = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown = text
        if ((res.headers['content-type'] ?? '').includes('json')) body = JSON.parse(text)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

export const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` })

/**
 * A request written line by line on a raw socket, so that header lines reach the server exactly
 * as given (node:http's client merges or refuses some repeats).
 */
export function rawRequest(
  url: string,
  lines: readonly (readonly [string, string])[],
  { method = 'GET', path = '/me' }: { method?: string; path?: string } = {},
): Promise<Reply> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect(Number(port), hostname, () => {
      const head = [`${method} ${path} HTTP/1.1`, `Host: ${hostname}`, 'Connection: close']
      for (const [name, value] of lines) head.push(`${name}: ${value}`)
      socket.end(`${head.join('\r\n')}\r\n\r\n`)
    })
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      const [statusLine = '', ...headerLines] = text.slice(0, split).split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      let rest = text.slice(split + 4)
      if (headers['transfer-encoding'] === 'chunked') rest = unchunk(rest)
      let body: unknown = rest
      if ((headers['content-type'] ?? '').includes('json')) body = JSON.parse(rest)
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body })
    })
  })
}

function unchunk(text: string): string {
  let out = ''
  let i = 0
  for (;;) {
    const eol = text.indexOf('\r\n', i)
    const size = parseInt(text.slice(i, eol), 16)
    if (!(size > 0)) return out
    out += text.slice(eol + 2, eol + 2 + size)
    i = eol + 2 + size + 2
  }
}
