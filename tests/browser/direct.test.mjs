// Direct-to-bucket mode in a real browser: Uppy's @uppy/aws-s3 plugin signs each part
// through Relais' Companion-compatible routes and sends it straight to an S3 server that
// speaks CORS (moto's server on loopback); Relais then reads the object back once and
// records its SHA-256.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort, launchBrowser, linkIn, pattern, screenshot, startRelais } from './harness.mjs'


async function startMoto() {
  const port = await freePort()
  const python = process.env.TEST_PYTHON || 'python3'
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' })
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`)
      return { port, stop: () => child.kill('SIGTERM') }
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  child.kill('SIGKILL')
  throw new Error('moto did not start')
}

test('direct-to-bucket uploads from the browser', { timeout: 180_000 }, async () => {
  const moto = await startMoto()
  const relais = await startRelais({
    RELAIS_STORAGE__BACKEND: 's3',
    RELAIS_STORAGE__ENDPOINT: `http://127.0.0.1:${moto.port}`,
    RELAIS_STORAGE__BUCKET: 'relais-direct',
    RELAIS_STORAGE__REGION: 'us-east-1',
    RELAIS_STORAGE__ACCESS_KEY_ID: 'testing',
    RELAIS_STORAGE__SECRET_ACCESS_KEY: 'testing',
    RELAIS_STORAGE__PATH_STYLE: 'true',
    RELAIS_UPLOADS__DIRECT_TO_BUCKET: 'true',
  }, { setup: ['storage', 'setup'] })
  const browser = await launchBrowser()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-direct-'))
  try {
    relais.cli(['client', 'create', '--email', 'anne@example.fr', '--name', 'Anne Dupont'])
    const invitation = await relais.waitForMail((m) => m.includes('/invitation/'))
    const token = linkIn(invitation, '/invitation/').pathname.split('/').pop()
    const accepted = await fetch(`${relais.base}/api/v1/invitations/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: 'un mot de passe solide' }),
    })
    assert.equal(accepted.status, 204)

    const context = await browser.newContext({ locale: 'fr-FR' })
    const page = await context.newPage()
    const errors = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${relais.base}/login`)
    await page.fill('input[name="email"]', 'anne@example.fr')
    await page.fill('input[name="password"]', 'un mot de passe solide')
    await page.click('button[type="submit"]')
    await page.waitForURL(/\/deliveries$/)

    // The page allows the bucket's origin for the browser's part uploads, and nothing else.
    const response = await page.goto(`${relais.base}/send`)
    assert.match(response.headers()['content-security-policy'], new RegExp(`connect-src 'self' http://127.0.0.1:${moto.port}`))
    await page.waitForSelector('#uploader[data-mode="s3"] .uppy-Dashboard')

    const bytes = pattern(11 * 1024 * 1024 + 17, 9)
    const file = path.join(dir, 'discours des témoins.wav')
    fs.writeFileSync(file, bytes)
    const partsToBucket = []
    page.on('request', (r) => {
      if (r.method() === 'PUT' && r.url().startsWith(`http://127.0.0.1:${moto.port}/`)) partsToBucket.push(r.url())
    })
    await page.locator('input.uppy-Dashboard-input[type="file"]:not([webkitdirectory])').setInputFiles([file])
    await page.click('.uppy-StatusBar-actionBtn--upload')
    await page.waitForSelector('#upload-done:not([hidden])', { timeout: 60_000 })
    assert.ok(partsToBucket.length >= 2, `parts went straight to the bucket: ${partsToBucket.length}`)
    await screenshot(page, 'fr-client-send-direct')

    // Stored once Relais has read it back and recorded its SHA-256.
    const expected = createHash('sha256').update(bytes).digest('hex')
    let stored = null
    for (let i = 0; i < 100 && !stored; i++) {
      const transfers = await (await page.request.get(`${relais.base}/api/v1/transfers`)).json()
      for (const t of transfers) {
        const detail = await (await page.request.get(`${relais.base}/api/v1/transfers/${t.id}`)).json()
        // Stored once verified (and then `ready` once the media pipeline has seen it).
        const done = (f) => ['stored', 'ready'].includes(f.status) && f.sha256 && f.name === 'discours des témoins.wav'
        stored = detail.files.find(done) || stored
      }
      if (!stored) await new Promise((r) => setTimeout(r, 200))
    }
    assert.ok(stored, 'the file became stored')
    assert.equal(stored.sha256, expected)
    assert.equal(stored.size, bytes.length)
    assert.deepEqual(errors, [])
  } finally {
    await browser.close()
    await relais.stop()
    moto.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
