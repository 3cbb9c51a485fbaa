// The demo page: plain ES modules, no build step. Tokens stay in this page's memory only.
// The identity providers: [{ name, label, issuer, audience, trusted }], the demo's own first.
const issuers = JSON.parse(document.getElementById('demo-config').textContent)
const idp = issuers[0].issuer
const $ = (id) => document.getElementById(id)
const state = { token: '', previous: '', exp: 0 }
// `forged`: the untrusted IdP signs a token whose `iss` names the demo's own IdP.
const FORGED = 'forged'
const untrusted = issuers.find((i) => !i.trusted)
const forgedTokens = new Set()
const selected = () => issuers.find((i) => i.name === $('issuer').value) ?? issuers[0]
const issuerOf = (token) => {
  try {
    const iss = JSON.parse(b64urlDecode(token.split('.')[1])).iss
    return (
      issuers.find((i) => i.issuer === iss) ?? { name: '', label: 'an unknown issuer', issuer: iss }
    )
  } catch {
    return undefined
  }
}
const describe = (i) =>
  i === undefined
    ? '—'
    : `${i.label} (${i.issuer})` +
      (i.name ? (i.trusted ? ', trusted by the API' : ', not trusted by the API') : '')

const b64urlDecode = (s) => {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'))
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)))
}
const b64urlEncode = (text) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
const pretty = (v) => JSON.stringify(v, null, 2)

function showToken(token, note) {
  state.token = token
  $('token').value = token
  try {
    const [h, p] = token.split('.')
    const claims = JSON.parse(b64urlDecode(p))
    $('token-header').textContent = pretty(JSON.parse(b64urlDecode(h)))
    $('token-claims').textContent = pretty(claims)
    state.exp = typeof claims.exp === 'number' ? claims.exp : 0
  } catch {
    $('token-header').textContent = $('token-claims').textContent = '(not decodable)'
    state.exp = 0
  }
  $('token-state').dataset.note = note
  $('token-state').textContent = note
  const from = issuerOf(token)
  const forged = forgedTokens.has(token)
  $('token-issuer').textContent =
    describe(from) + (forged ? ' (claimed: the API checks it against that issuer’s keys)' : '')
  $('token-issuer').className = from?.name && from.trusted && !forged ? 'trusted' : 'untrusted'
  tick()
}

function tick() {
  if (!state.token || !state.exp) return
  const left = state.exp - Math.floor(Date.now() / 1000)
  const el = $('token-state')
  el.dataset.expired = String(left <= 0)
  el.textContent =
    (el.dataset.note ?? '') + (left > 0 ? ` Expires in ${left} s.` : ` Expired ${-left} s ago.`)
}

async function getToken() {
  const roles = ['reader', 'admin', 'ops'].filter((r) => $(`role-${r}`).checked)
  const claimed = selected()
  const forged = $('issuer').value === FORGED
  const from = forged ? untrusted : claimed
  const audience = $('audience').value === 'api' ? claimed.audience : $('audience').value
  const res = await fetch(`${from.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      user: $('user').value,
      roles,
      audience,
      lifetimeSeconds: Number($('lifetime').value),
      ...(forged ? { claimIssuer: claimed.issuer } : {}),
    }),
  })
  const body = await res.json()
  if (!res.ok) return showResult(res, body, undefined)
  if (state.token) {
    state.previous = state.token
    $('use-previous').disabled = false
  }
  if (forged) forgedTokens.add(body.access_token)
  showToken(
    body.access_token,
    forged
      ? `Signed by the ${from.label}, claiming to be the ${claimed.label}.`
      : `Signed by the ${from.label}.`,
  )
}

function tamper() {
  if (!state.token) return
  const [h, p, s] = state.token.split('.')
  const claims = JSON.parse(b64urlDecode(p))
  const key = Array.isArray(claims.groups) ? 'groups' : 'roles' // the partner IdP's roles claim
  claims[key] = [...new Set([...(claims[key] ?? []), 'admin'])]
  showToken(
    `${h}.${b64urlEncode(JSON.stringify(claims))}.${s}`,
    'Tampered: admin role added, signature kept.',
  )
}

function usePrevious() {
  if (!state.previous) return
  const current = state.token
  showToken(state.previous, 'The previous token (signed with an older key).')
  state.previous = current
}

function showResult(res, body, from, token) {
  $('result-issuer').textContent = from === undefined ? '— (no token)' : describe(from)
  $('result-code').textContent = body?.error ?? '—'
  $('result-message').textContent = body?.message ?? '—'
  $('result-challenge').textContent = res.headers.get('www-authenticate') ?? '—'
  $('result-body').textContent = pretty(body)
  // The status last: the browser test waits for it.
  const badge = $('result-status')
  badge.textContent = String(res.status)
  badge.className = `badge s${String(res.status)[0]}xx`
  // The issuers table keeps the answer to each issuer's own tokens (not forged ones).
  if (from?.name && !forgedTokens.has(token)) {
    const cell = document.querySelector(`#issuers tr[data-issuer="${from.name}"] .answer`)
    cell.textContent = `${res.status}${body?.error ? ` ${body.error}` : ''}`
    cell.className = `answer badge s${String(res.status)[0]}xx`
  }
}

async function call(path, withToken = true) {
  const token = withToken ? state.token : ''
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  const res = await fetch(path, { headers })
  showResult(res, await res.json(), token ? issuerOf(token) : undefined, token)
  await refreshKeys()
}

async function idpKeys(action) {
  const res = await fetch(`${idp}/${action}`, { method: action === 'keys' ? 'GET' : 'POST' })
  $('idp-keys').textContent = pretty(await res.json())
}

async function refreshKeys() {
  const stats = await (await fetch('/api/keys')).json()
  $('framework').textContent = stats.framework
  const when = (t) => (t ? new Date(t).toLocaleTimeString() : '—')
  $('api-keys').textContent = pretty(
    Object.fromEntries(
      stats.issuers.map((s) => [
        s.name,
        {
          kids: s.kids,
          fetches: s.fetches,
          notModified: s.notModified,
          failures: s.failures,
          rateLimited: s.rateLimited,
          lastRefresh: when(s.lastRefreshAt),
          nextRefresh: when(s.nextRefreshAt),
        },
      ]),
    ),
  )
}

function showIssuers() {
  for (const i of issuers) {
    $('issuer').append(new Option(`${i.label}${i.trusted ? '' : ' (not trusted)'}`, i.name))
    const row = document.createElement('tr')
    row.dataset.issuer = i.name
    const cells = [i.label, i.audience, i.trusted ? 'yes' : 'no', '—'].map((text) => {
      const td = document.createElement('td')
      td.textContent = text
      return td
    })
    const url = document.createElement('code')
    url.textContent = i.issuer
    cells[0].append(document.createElement('br'), url)
    cells[2].className = i.trusted ? 'trusted' : 'untrusted'
    const answer = document.createElement('span')
    answer.className = 'answer'
    cells[3].replaceChildren(answer)
    answer.textContent = '—'
    row.append(...cells)
    $('issuers').tBodies[0].append(row)
  }
  $('issuer').append(
    new Option(`${untrusted.label}, claiming to be the ${issuers[0].label}`, FORGED),
  )
  const audience = () => ($('audience-api').textContent = `${selected().audience} (the API's)`)
  $('issuer').addEventListener('change', audience)
  audience()
}

showIssuers()
$('idp-url').textContent = idp
$('get-token').addEventListener('click', getToken)
$('tamper').addEventListener('click', tamper)
$('use-previous').addEventListener('click', usePrevious)
$('call-me').addEventListener('click', () => call('/api/me'))
$('call-admin').addEventListener('click', () => call('/api/admin'))
$('call-anonymous').addEventListener('click', () => call('/api/me', false))
$('rotate').addEventListener('click', () => idpKeys('rotate'))
$('retire').addEventListener('click', () => idpKeys('retire'))
setInterval(tick, 1000)
setInterval(() => void Promise.all([refreshKeys(), idpKeys('keys')]), 3000)
await Promise.all([refreshKeys(), idpKeys('keys')])
document.body.dataset.ready = 'true'
