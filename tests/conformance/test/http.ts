import { request as httpRequest } from 'node:http'

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
