// A guest opens a delivery's link on a phone: the PIN first (a wrong code said in words),
// then the gallery with the studio's name, never the product's; a revoked link says so.
// French and English, a 390 px phone and a desktop.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  api,
  apiToken,
  clientPage,
  eventually,
  jpeg,
  launchBrowser,
  screenshot,
  startRelais,
  studioPage,
  tusUpload,
} from './harness.mjs'

test('a guest opens a link with its PIN on a phone and sees the gallery', { timeout: 180_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const errors = []
  try {
    await studioPage(relais, browser, 'atelier@example.fr')
    const token = apiToken(relais, 'atelier@example.fr')
    const { id: client } = await clientPage(relais, browser, { email: 'claire@example.fr', name: 'Claire et Louis' })
    const made = await api(relais, token, 'POST', '/api/v1/transfers', { title: 'Mariage de Claire', direction: 'delivery', client })
    const delivery = made.body.id
    await tusUpload(relais, token, delivery, 'cortege.jpg', jpeg(1200, 800, 'orange'))
    await tusUpload(relais, token, delivery, 'soiree.jpg', jpeg(800, 1200, 'purple'))
    await eventually(async () => {
      const shown = await api(relais, token, 'GET', `/api/v1/transfers/${delivery}`)
      return shown.body.files.every((f) => f.status === 'ready')
    }, 'the photos processed')
    assert.equal((await api(relais, token, 'PUT', `/api/v1/transfers/${delivery}/publication`, { notify: false })).status, 200)
    const link = await api(relais, token, 'POST', `/api/v1/transfers/${delivery}/links`, { kind: 'view', label: 'Tante Marie', pin: '482913' })
    assert.equal(link.status, 201)

    for (const [locale, wrong, opened] of [['fr-FR', /n’est pas le bon/, /partage ces fichiers/], ['en-GB', /not the right one/, /shares these files/]]) {
      const context = await browser.newContext({ locale, viewport: { width: 390, height: 844 }, hasTouch: true })
      const page = await context.newPage()
      page.on('pageerror', (e) => errors.push(e.message))
      await page.goto(link.body.url)
      await page.locator('input[name="pin"]').fill('000000')
      await page.locator('button[type="submit"]').click()
      await page.locator('[data-pin-problem]').waitFor()
      assert.match(await page.locator('[data-pin-problem]').innerText(), wrong)
      await screenshot(page, `guest-pin-${locale}-phone`)
      await page.locator('input[name="pin"]').fill('482913')
      await page.locator('button[type="submit"]').click()
      // The form's page has the same address as the gallery: wait for the gallery itself.
      await page.locator('.media').waitFor()
      assert.match(await page.locator('main').innerText(), opened)
      assert.equal(await page.locator('h1').innerText(), 'Mariage de Claire')
      const body = await page.locator('body').innerText()
      assert.ok(!body.includes('Relais'), 'the studio faces its guests, not the product')
      // The thumbnails load through the link's cookie.
      await eventually(async () => (await page.locator('.media img').evaluateAll((imgs) => imgs.every((i) => i.complete && i.naturalWidth > 0))), 'thumbnails shown')
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      assert.ok(overflow <= 0, `nothing wider than the phone (${overflow} px over)`)
      await screenshot(page, `guest-gallery-${locale}-phone`)
      await page.setViewportSize({ width: 1280, height: 800 })
      await screenshot(page, `guest-gallery-${locale}-desktop`)
      await context.close()
    }

    // Revoked: the page says so.
    assert.equal((await api(relais, token, 'DELETE', `/api/v1/links/${link.body.id}`)).status, 204)
    const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 390, height: 844 } })
    const page = await context.newPage()
    const answer = await page.goto(link.body.url)
    assert.equal(answer.status(), 410)
    assert.match(await page.locator('h1').innerText(), /Lien indisponible/)
    await screenshot(page, 'guest-revoked-fr-phone')
    assert.deepEqual(errors, [], 'no script error')
  } finally {
    await browser.close()
    await relais.stop()
  }
})
