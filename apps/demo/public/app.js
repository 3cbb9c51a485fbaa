// The demo page: plain ES modules, no build step. Tokens stay in this page's memory only.
const idp = document.querySelector('meta[name="idp-origin"]').content
const $ = (id) => document.getElementById(id)
const state = { token: '', previous: '', exp: 0 }

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
  const res = await fetch(`${idp}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      user: $('user').value,
      roles,
      audience: $('audience').value,
      lifetimeSeconds: Number($('lifetime').value),
    }),
  })
  const body = await res.json()
  if (!res.ok) return showResult(res, body)
  if (state.token) {
    state.previous = state.token
    $('use-previous').disabled = false
  }
  showToken(body.access_token, 'Signed by the identity provider.')
}

function tamper() {
  if (!state.token) return
  const [h, p, s] = state.token.split('.')
  const claims = JSON.parse(b64urlDecode(p))
  claims.roles = [...new Set([...(claims.roles ?? []), 'admin'])]
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

function showResult(res, body) {
  const badge = $('result-status')
  badge.textContent = String(res.status)
  badge.className = `badge s${String(res.status)[0]}xx`
  $('result-challenge').textContent = res.headers.get('www-authenticate') ?? '—'
  $('result-body').textContent = pretty(body)
}

async function call(path, withToken = true) {
  const headers = withToken && state.token ? { authorization: `Bearer ${state.token}` } : {}
  const res = await fetch(path, { headers })
  showResult(res, await res.json())
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
  $('api-keys').textContent = pretty({
    kids: stats.kids,
    fetches: stats.fetches,
    notModified: stats.notModified,
    failures: stats.failures,
    rateLimited: stats.rateLimited,
    lastRefresh: when(stats.lastRefreshAt),
    nextRefresh: when(stats.nextRefreshAt),
  })
}

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
