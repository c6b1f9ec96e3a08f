// The client's gallery and the studio's view of a delivery: the studio orders the photos
// and picks a cover from a thumbnail grid; the client sees the cover in the list, steps
// through the photos in the lightbox with buttons, arrow keys and (on a 390 px phone)
// a swipe, and never sees the studio's processing badges. Nothing scrolls sideways.
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

const COLOURS = ['red', 'green', 'blue']

async function noSidewaysScroll(page, what) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  assert.ok(wide <= 1, `${what} scrolls sideways by ${wide}px`)
}

test('the studio arranges a delivery and the client browses it', { timeout: 240_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const errors = []
  try {
    const studio = await studioPage(relais, browser, 'atelier@example.fr')
    studio.on('pageerror', (e) => errors.push(e.message))
    const token = apiToken(relais, 'atelier@example.fr')
    const { id: client, page } = await clientPage(relais, browser, { email: 'anne@example.fr', name: 'Anne Dupont' })
    page.on('pageerror', (e) => errors.push(e.message))
    const made = await api(relais, token, 'POST', '/api/v1/transfers', {
      title: 'Photos du mariage',
      direction: 'delivery',
      client,
    })
    assert.equal(made.status, 201)
    const delivery = made.body.id
    for (const [i, colour] of COLOURS.entries()) {
      await tusUpload(relais, token, delivery, `photo-${i + 1}.jpg`, jpeg(640, 480, colour))
    }
    const files = await eventually(async () => {
      const shown = await api(relais, token, 'GET', `/api/v1/transfers/${delivery}`)
      return shown.body.files.every((f) => f.status === 'ready') && shown.body.files
    }, 'the three photos processed')

    // --- The studio's page: a grid of thumbnails, reordered and a cover picked --------
    await studio.goto(`${relais.base}/studio/transfers/${delivery}`)
    const cards = studio.locator('.file-grid .file-card')
    assert.equal(await cards.count(), 3)
    assert.equal(await studio.locator('.file-grid .file-card img').count(), 3, 'every photo shows its thumbnail')
    // The upload area comes before the publication form.
    const order = await studio.evaluate(() => {
      const uploader = document.querySelector('#uploader')
      const publish = document.querySelector('form[data-api$="/publication"]')
      return uploader.compareDocumentPosition(publish) & Node.DOCUMENT_POSITION_FOLLOWING
    })
    assert.ok(order, 'the uploader is above the publication form')
    // The last photo moves first; the order holds after a reload.
    const saved = studio.waitForResponse((r) => r.url().endsWith('/order') && r.status() === 200)
    await studio.click('.file-card:nth-child(3) [data-move="up"]')
    await saved
    const saved2 = studio.waitForResponse((r) => r.url().endsWith('/order') && r.status() === 200)
    await studio.click('.file-card:nth-child(2) [data-move="up"]')
    await saved2
    await studio.reload()
    const names = await studio.locator('.file-card .name').allTextContents()
    assert.deepEqual(names.map((n) => n.trim()), ['photo-3.jpg', 'photo-1.jpg', 'photo-2.jpg'])
    // The second photo becomes the cover.
    await studio.click('.file-card:nth-child(3) button:has-text("Choisir comme couverture")')
    await studio.waitForSelector('.file-card:nth-child(3).cover')
    await screenshot(studio, 'fr-studio-delivery-grid')
    const published = await api(relais, token, 'PUT', `/api/v1/transfers/${delivery}/publication`, {})
    assert.equal(published.status, 200)

    // --- The client's list shows the cover; the delivery shows no studio badges --------
    await page.goto(`${relais.base}/deliveries`)
    const cover = page.locator('.tile.with-cover img')
    await cover.waitFor()
    const coverFile = files.find((f) => f.name === 'photo-2.jpg').id
    assert.match(await cover.getAttribute('src'), new RegExp(coverFile))
    await page.click('.tile.with-cover')
    await page.waitForURL(/\/deliveries\//)
    assert.equal(await page.locator('.media .badge').count(), 0, 'no "Prêt" badges for the client')

    // --- The lightbox: buttons, keys, wrap-around, download of the original -----------
    await page.click('.media figure:nth-child(1) a.open')
    const dialog = page.locator('dialog#preview')
    const position = dialog.locator('[data-lb-position]')
    await eventually(async () => (await position.textContent()) === '1 / 3', 'the first photo')
    assert.equal((await dialog.locator('[data-lb-name]').textContent()).trim(), 'photo-3.jpg')
    await screenshot(page, 'fr-client-lightbox')
    await dialog.locator('[data-lb-next]').click()
    assert.equal(await position.textContent(), '2 / 3')
    await page.keyboard.press('ArrowRight')
    assert.equal(await position.textContent(), '3 / 3')
    assert.equal((await dialog.locator('[data-lb-name]').textContent()).trim(), 'photo-2.jpg')
    assert.match(await dialog.locator('[data-lb-download]').getAttribute('href'), new RegExp(`${coverFile}/content`))
    await page.keyboard.press('ArrowRight')
    assert.equal(await position.textContent(), '1 / 3', 'the last photo leads back to the first')
    await page.keyboard.press('ArrowLeft')
    assert.equal(await position.textContent(), '3 / 3')
    await page.keyboard.press('Escape')
    assert.equal(await dialog.evaluate((d) => d.open), false)

    // --- A 390 px phone, in English: swipe, no sideways scroll -------------------------
    const phone = await (
      await browser.newContext({ locale: 'en-GB', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, hasTouch: true, isMobile: true })
    ).newPage()
    phone.on('pageerror', (e) => errors.push(e.message))
    await phone.goto(`${relais.base}/login`)
    await phone.fill('input[name="email"]', 'anne@example.fr')
    await phone.fill('input[name="password"]', 'correct horse battery staple')
    await phone.click('button[type="submit"]')
    await phone.waitForURL(/\/deliveries$/)
    await phone.click('[data-menu-toggle]')
    await phone.click('button.lang')
    await phone.waitForFunction(() => document.documentElement.lang === 'en')
    await noSidewaysScroll(phone, 'the deliveries list')
    await screenshot(phone, 'mobile-deliveries-cover')
    await phone.goto(`${relais.base}/deliveries/${delivery}`)
    await noSidewaysScroll(phone, 'the delivery')
    await phone.click('.media figure:nth-child(1) a.open')
    const phonePosition = phone.locator('dialog#preview [data-lb-position]')
    await eventually(async () => (await phonePosition.textContent()) === '1 / 3', 'the lightbox on the phone')
    await phone.evaluate(() => {
      const stage = document.querySelector('[data-lb-stage]')
      const touch = (x) => new Touch({ identifier: 1, target: stage, clientX: x, clientY: 400 })
      stage.dispatchEvent(new TouchEvent('touchstart', { changedTouches: [touch(320)], touches: [touch(320)], bubbles: true }))
      stage.dispatchEvent(new TouchEvent('touchend', { changedTouches: [touch(80)], touches: [], bubbles: true }))
    })
    assert.equal(await phonePosition.textContent(), '2 / 3', 'a swipe to the left shows the next photo')
    await screenshot(phone, 'mobile-lightbox')
    await phone.keyboard.press('Escape')

    // --- The studio's pages on a phone ---------------------------------------------------
    const studioPhone = await (await browser.newContext({ locale: 'fr-FR', viewport: { width: 390, height: 844 } })).newPage()
    const cookies = await studio.context().cookies()
    await studioPhone.context().addCookies(cookies)
    for (const path of ['/studio', '/studio/clients', `/studio/transfers/${delivery}`, '/studio/activity', '/studio/settings']) {
      await studioPhone.goto(`${relais.base}${path}`)
      await noSidewaysScroll(studioPhone, path)
      const bar = await studioPhone.locator('header.topbar').boundingBox()
      assert.ok(bar.height < 80, `${path}: the header is one line (${bar.height}px)`)
    }
    await studioPhone.goto(`${relais.base}/studio/activity`)
    // The activity log says who, also on a phone.
    assert.ok(await studioPhone.locator('td[data-label="Qui"]').first().isVisible())
    await screenshot(studioPhone, 'mobile-studio-activity')
    await studioPhone.goto(`${relais.base}/studio/transfers/${delivery}`)
    await screenshot(studioPhone, 'mobile-studio-delivery')
    // The studio names itself on its settings page; the public site and the pages follow.
    await studio.goto(`${relais.base}/studio/settings`)
    await studio.fill('input[name="name"]', 'Atelier Nord')
    await studio.fill('input[name="tagline"]', 'Photo et film de mariage')
    await studio.fill('input[name="tagline_en"]', 'Wedding photography and film')
    // Saving reloads the page, whose header now carries the new name.
    await Promise.all([studio.waitForNavigation(), studio.click('form[data-api="/api/v1/studio"] button[type="submit"]')])
    assert.equal((await studio.textContent('header .brand')).trim(), 'Atelier Nord')
    await screenshot(studio, 'fr-studio-settings')
    await page.goto(`${relais.base}/`)
    assert.equal(await page.title(), 'Atelier Nord')
    assert.match(await page.textContent('.site-tagline'), /Photo et film de mariage/)
    await page.goto(`${relais.base}/en`)
    assert.match(await page.textContent('.site-tagline'), /Wedding photography and film/)
    await screenshot(page, 'en-site-home')
    await page.goto(`${relais.base}/deliveries`)
    assert.equal((await page.textContent('header .brand')).trim(), 'Atelier Nord')

    assert.deepEqual(errors, [], 'no script errors')
  } finally {
    await browser.close()
    await relais.stop()
  }
})
