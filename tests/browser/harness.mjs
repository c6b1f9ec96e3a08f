// Starts a real `relais serve` in a fresh data directory, drives its CLI, reads its
// outbox, computes TOTP codes, and launches Debian's Chromium through playwright-core.
import { spawn, execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'

const here = path.dirname(new URL(import.meta.url).pathname)
export const BIN = process.env.TEST_RELAIS_BIN || path.resolve(here, '../../target/debug/relais')
export const SHOTS = process.env.TEST_SCREENSHOTS || path.resolve(here, '../../target/screenshots')

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/// `options.setup`: a `relais` command run before the server starts (e.g. storage setup).
export async function startRelais(extraEnv = {}, options = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-e2e-'))
  const port = await freePort()
  // Relais refuses RELAIS_* variables it does not know: pass none but ours.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RELAIS_')))
  const env = {
    ...inherited,
    RELAIS_LISTEN: `127.0.0.1:${port}`,
    RELAIS_DATA_DIR: path.join(dir, 'data'),
    RELAIS_MAIL__FROM: 'Studio Lumière <contact@studio-lumiere.fr>',
    RELAIS_LOG_LEVEL: 'warn',
    ...extraEnv,
  }
  if (options.setup) execFileSync(BIN, options.setup, { env, stdio: ['ignore', 'inherit', 'inherit'] })
  const child = spawn(BIN, ['serve'], { env, stdio: ['ignore', 'inherit', 'pipe'] })
  // The console is read for the first-run setup link, and passed on.
  let console = ''
  child.stderr.on('data', (chunk) => {
    console += chunk.toString()
    process.stderr.write(chunk)
  })
  const base = `http://127.0.0.1:${port}`
  let up = false
  for (let i = 0; i < 300 && !up; i++) {
    if (child.exitCode !== null) throw new Error(`relais serve exited with code ${child.exitCode}`)
    try {
      up = (await fetch(`${base}/healthz`)).ok
    } catch {}
    if (!up) await new Promise((r) => setTimeout(r, 100))
  }
  if (!up) {
    child.kill('SIGKILL')
    throw new Error('relais serve did not answer /healthz within 30 s')
  }
  const relais = {
    base,
    dir,
    /// The first-run link `relais serve` printed on its console.
    setupLink() {
      const match = console.match(/https?:\/\/\S+\/setup\/[A-Za-z0-9_\-]+/)
      if (!match) throw new Error(`no setup link on the console:\n${console}`)
      return new URL(match[0])
    },
    cli(args, input) {
      return execFileSync(BIN, args, { env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] }).trim()
    },
    outbox() {
      const box = path.join(dir, 'data', 'outbox')
      if (!fs.existsSync(box)) return []
      return fs
        .readdirSync(box)
        .filter((f) => f.endsWith('.eml'))
        .sort()
        .map((f) => decodeQuotedPrintable(fs.readFileSync(path.join(box, f), 'utf8')))
    },
    async waitForMail(predicate, timeoutMs = 15000) {
      const until = Date.now() + timeoutMs
      while (Date.now() < until) {
        const found = relais.outbox().find(predicate)
        if (found) return found
        await new Promise((r) => setTimeout(r, 200))
      }
      throw new Error('no such email in the outbox')
    },
    async stop() {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
  return relais
}

/// Quoted-printable to text: `=XX` escapes are UTF-8 bytes, soft line breaks vanish.
function decodeQuotedPrintable(text) {
  const joined = text.replace(/=\r?\n/g, '')
  const bytes = []
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3)
    if (joined[i] === '=' && /^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

/// The first link in an email whose path starts with `prefix`.
export function linkIn(mail, prefix) {
  const match = mail.match(new RegExp(`https?://[^\\s"<>]*${prefix}[A-Za-z0-9_\\-]+`))
  if (!match) throw new Error(`no ${prefix} link in:\n${mail}`)
  return new URL(match[0])
}

function base32(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  const bytes = []
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2))
  return Buffer.from(bytes)
}

/// RFC 6238 with SHA-1, 6 digits, 30 s, as authenticator apps do.
export function totp(secret, at = Date.now()) {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)))
  const mac = createHmac('sha1', base32(secret)).update(counter).digest()
  const offset = mac[mac.length - 1] & 0xf
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000
  return String(code).padStart(6, '0')
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
}

/// A studio account made with `relais admin create`, signed in (password, then TOTP) in a
/// French page; returns the page on /studio.
export async function studioPage(relais, browser, email = 'studio@example.fr') {
  const password = 'correct horse battery staple'
  const uri = relais.cli(['admin', 'create', '--email', email, '--password-stdin'], `${password}\n`)
  const secret = new URL(uri).searchParams.get('secret')
  const page = await (await browser.newContext({ locale: 'fr-FR' })).newPage()
  await page.goto(`${relais.base}/login`)
  await page.fill('input[name="email"]', email)
  await page.fill('input[name="password"]', password)
  await page.click('button[type="submit"]')
  await page.waitForSelector('[data-totp]:not([hidden])')
  await page.fill('input[name="totp"]', totp(secret))
  await page.click('button[type="submit"]')
  await page.waitForURL(/\/studio$/)
  return page
}

export async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true })
}

/// Deterministic bytes, so the test knows every file's SHA-256.
export function pattern(len, seed) {
  const buf = Buffer.alloc(len)
  let x = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < len; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    buf[i] = x & 0xff
  }
  return buf
}

/// A personal API token for an existing account (`relais token create`).
export function apiToken(relais, email = 'studio@example.fr') {
  return relais.cli(['token', 'create', '--email', email, '--name', 'tests'])
}

/// Calls the API with a bearer token; resolves to { status, body }.
export async function api(relais, token, method, url, body) {
  const response = await fetch(`${relais.base}${url}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  let parsed = null
  try {
    parsed = JSON.parse(text)
  } catch {}
  return { status: response.status, body: parsed }
}

/// One file sent whole with tus's creation-with-upload; returns the upload's URL.
export async function tusUpload(relais, token, transfer, name, bytes) {
  const meta = [
    ['filename', name],
    ['transfer', transfer],
  ]
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',')
  const response = await fetch(`${relais.base}/api/v1/uploads`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(bytes.length),
      'Upload-Metadata': meta,
      'Content-Type': 'application/offset+octet-stream',
    },
    body: bytes,
  })
  if (response.status !== 201) throw new Error(`upload of ${name}: ${response.status} ${await response.text()}`)
  return response.headers.get('location')
}

/// A JPEG made by ffmpeg (scripts/test.sh installs it): a plain colour, `w`×`h`.
export function jpeg(w, h, colour) {
  return execFileSync(
    'ffmpeg',
    ['-v', 'error', '-f', 'lavfi', '-i', `color=c=${colour}:s=${w}x${h}`, '-frames:v', '1', '-f', 'mjpeg', 'pipe:1'],
    { maxBuffer: 64 * 1024 * 1024 },
  )
}

/// A client made with `relais client create` who accepted the invitation, signed in, in
/// a page of its own (`context` options: locale, viewport, hasTouch…).
export async function clientPage(relais, browser, { email, name, context = {} }) {
  const id = relais.cli(['client', 'create', '--email', email, '--name', name])
  const invitation = await relais.waitForMail((m) => m.includes(email) && m.includes('/invitation/'))
  const token = linkIn(invitation, '/invitation/').pathname.split('/').pop()
  const accepted = await fetch(`${relais.base}/api/v1/invitations/accept`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token, password: 'correct horse battery staple' }),
  })
  if (!accepted.ok) throw new Error(`invitation: ${accepted.status} ${await accepted.text()}`)
  const page = await (await browser.newContext({ locale: 'fr-FR', ...context })).newPage()
  await page.goto(`${relais.base}/login`)
  await page.fill('input[name="email"]', email)
  await page.fill('input[name="password"]', 'correct horse battery staple')
  await page.click('button[type="submit"]')
  await page.waitForURL(/\/deliveries$/)
  return { id, page }
}

/// Waits until `check()` resolves truthy (polling), or fails after `ms`.
export async function eventually(check, what, ms = 30000) {
  const until = Date.now() + ms
  while (Date.now() < until) {
    const value = await check()
    if (value) return value
    await new Promise((r) => setTimeout(r, 150))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/// Adds files to the page's Uppy Dashboard as a person would pick them; closes the "add
/// more" panel when it stays open (files selected again over restored ones).
export async function addFiles(page, paths) {
  const more = page.locator('.uppy-DashboardContent-addMore')
  if (await more.isVisible()) await more.click()
  await page.locator('input.uppy-Dashboard-input[type="file"]:not([webkitdirectory])').setInputFiles(paths)
  const panel = page.locator('.uppy-Dashboard-AddFilesPanel')
  const closed = await panel.waitFor({ state: 'detached', timeout: 2000 }).then(() => true, () => false)
  if (!closed) await panel.locator('.uppy-DashboardContent-back').click()
}
