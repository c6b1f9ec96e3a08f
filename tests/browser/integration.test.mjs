// The quote-site integration in a real browser: the studio creates an integration and
// copies its secret from the page; the "quote site" (this test, signing as the Standard
// Webhooks specification says, with Node's own HMAC) registers a client with a quote, an
// invoice and a payment; the client accepts the invitation and reads their quotes and
// invoices in French and in English; the studio sees the call log, rotates and revokes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { launchBrowser, linkIn, screenshot, startRelais, studioPage } from './harness.mjs'

const PASSWORD = 'un mot de passe solide'
let sequence = 0

/// One signed PUT, as the quote site's `standardwebhooks` library would sign it.
async function signedPut(relais, secret, path, body) {
  const id = `msg_e2e_${++sequence}`
  const timestamp = Math.floor(Date.now() / 1000)
  const text = JSON.stringify(body)
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${text}`).digest('base64')
  const response = await fetch(`${relais.base}${path}`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': `v1,${signature}`,
    },
    body: text,
  })
  return { status: response.status, body: await response.json() }
}

test('quote site, client and studio', { timeout: 120_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  try {
    const studio = await studioPage(relais, browser)
    const errors = []
    studio.on('pageerror', (e) => errors.push(e.message))

    // --- The studio creates the integration and copies the secret shown once ----------
    await studio.click('nav >> text=Site de devis')
    await studio.fill('form[data-api="/api/v1/integrations"] input[name="name"]', 'Devis en ligne')
    await studio.click('form[data-api="/api/v1/integrations"] button[type="submit"]')
    await studio.waitForSelector('[data-step="secret"]:not([hidden])')
    const secret = (await studio.textContent('[data-secret-out]')).trim()
    assert.match(secret, /^whsec_[A-Za-z0-9+/=]+$/)

    // --- The quote site sends a client, a quote, an invoice and a payment --------------
    const client = await signedPut(relais, secret, '/api/v1/integration/clients/c-42', {
      email: 'anne@example.fr', name: 'Anne Dupont', version: 1, event_date: '2027-06-12',
    })
    assert.equal(client.status, 201, JSON.stringify(client.body))
    const quote = { client: 'c-42', number: 'D-2026-014', title: 'Mariage Anne & Paul', status: 'accepted', total: 345000, currency: 'EUR', version: 1 }
    assert.equal((await signedPut(relais, secret, '/api/v1/integration/quotes/q-7', quote)).status, 201)
    const invoice = { client: 'c-42', quote: 'q-7', number: 'F-2026-031', status: 'partially_paid', total: 345000, currency: 'EUR', due_date: '2027-05-01', version: 1 }
    assert.equal((await signedPut(relais, secret, '/api/v1/integration/invoices/i-9', invoice)).status, 201)
    const payment = { invoice: 'i-9', amount: 100000, currency: 'EUR', paid_at: '2026-11-20T10:00:00Z', method: 'virement', version: 1 }
    assert.equal((await signedPut(relais, secret, '/api/v1/integration/payments/p-1', payment)).status, 201)

    // --- The client accepts the invitation and reads it all --------------------------
    const invitation = await relais.waitForMail((m) => m.includes('anne@example.fr') && m.includes('/invitation/'))
    const page = await (await browser.newContext({ locale: 'fr-FR', viewport: { width: 390, height: 844 } })).newPage()
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${relais.base}${linkIn(invitation, '/invitation/').pathname}`)
    await page.fill('input[name="password"]', PASSWORD)
    await page.click('button[type="submit"]')
    await page.waitForURL(/\/login\?done=password/)
    await page.fill('input[name="email"]', 'anne@example.fr')
    await page.fill('input[name="password"]', PASSWORD)
    await page.click('button[type="submit"]')
    await page.waitForURL(/\/deliveries$/)
    // On a phone the navigation folds behind "Menu", and the header stays one line.
    const bar = await page.locator('header.topbar').boundingBox()
    assert.ok(bar.height < 80, `the signed-in header is one line (${bar.height}px)`)
    assert.equal(await page.locator('nav >> text=Devis et factures').isVisible(), false)
    await page.click('[data-menu-toggle]')
    assert.equal(await page.getAttribute('[data-menu-toggle]', 'aria-expanded'), 'true')
    await page.click('nav >> text=Devis et factures')
    await page.waitForURL(/\/billing$/)
    const french = await page.textContent('main')
    assert.match(french, /D-2026-014/)
    assert.match(french, /Accepté/)
    assert.match(french, /Partiellement réglée/)
    assert.match(french, /2\u202f450,00\u00a0€/, 'the remaining amount, written the French way')
    assert.match(french, /1 mai 2027/, 'the due date')
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 0, `no sideways scroll on a phone (${overflow}px)`)
    await screenshot(page, 'fr-client-billing')
    await page.click('[data-menu-toggle]')
    await page.click('[data-lang="en"]')
    await page.waitForSelector('html[lang="en"]')
    const english = await page.textContent('main')
    assert.match(english, /Quotes and invoices/)
    assert.match(english, /€2,450\.00/)
    await screenshot(page, 'en-client-billing')

    // --- The studio sees the calls, rotates the key, then revokes it -------------------
    await studio.reload()
    assert.match(await studio.textContent('main'), /PUT \/api\/v1\/integration\/payments\/p-1/)
    studio.on('dialog', (d) => d.accept())
    await studio.click('button:has-text("Nouvelle clé")')
    await studio.waitForFunction((old) => document.querySelector('[data-secret-out]').textContent.trim() !== old, secret)
    const rotated = (await studio.textContent('[data-secret-out]')).trim()
    assert.match(rotated, /^whsec_/)
    assert.equal((await signedPut(relais, rotated, '/api/v1/integration/clients/c-42', { email: 'anne@example.fr', name: 'Anne Dupont', version: 2 })).status, 200)
    assert.equal((await signedPut(relais, secret, '/api/v1/integration/clients/c-42', { email: 'anne@example.fr', name: 'Anne Dupont', version: 3 })).status, 200, 'the old key works during the grace period')
    await studio.reload()
    await screenshot(studio, 'fr-studio-integrations')
    await studio.click('button:has-text("Révoquer")')
    await studio.waitForSelector('.badge:has-text("Révoquée")')
    assert.equal((await signedPut(relais, rotated, '/api/v1/integration/clients/c-42', { email: 'anne@example.fr', name: 'Anne Dupont', version: 4 })).status, 401)
    assert.deepEqual(errors, [])
  } finally {
    await browser.close()
    await relais.stop()
  }
})
