// A delivery longer than one page: the client's phone opens it with its first 150 photos,
// the next page comes as they scroll to the end, the preview steps from the last photo
// loaded into the next page ("150 / 150+", then "151 / 205"), hearts and previews work
// on cards loaded later; a guest's link (in English) pages the same way with "Show more";
// the studio's page too, and its order is saved from the cards loaded so far.
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

const COUNT = 205
// Cards on one page (src/http/pages/paging.rs).
const PAGE = 150
const COLOURS = ['red', 'green', 'blue', 'white', 'black']

test('a long delivery comes a page at a time as the reader scrolls', { timeout: 300_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const errors = []
  try {
    // The studio's account first (made through its setup page), then its API token.
    const studio = await studioPage(relais, browser, 'atelier@example.fr')
    studio.on('pageerror', (e) => errors.push(e.message))
    const token = apiToken(relais, 'atelier@example.fr')
    const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, hasTouch: true, isMobile: true }
    const { id: client, page } = await clientPage(relais, browser, { email: 'anne@example.fr', name: 'Anne Dupont', context: phone })
    page.on('pageerror', (e) => errors.push(e.message))
    const made = await api(relais, token, 'POST', '/api/v1/transfers', { title: 'Mariage', direction: 'delivery', client })
    assert.equal(made.status, 201)
    const delivery = made.body.id
    for (let i = 1; i <= COUNT; i++) {
      const name = `photo-${String(i).padStart(3, '0')}.jpg`
      await tusUpload(relais, token, delivery, name, jpeg(48, 32, COLOURS[i % COLOURS.length]))
    }
    await eventually(async () => {
      const shown = await api(relais, token, 'GET', `/api/v1/transfers/${delivery}`)
      return shown.body.files.length === COUNT && shown.body.files.every((f) => f.status === 'ready')
    }, 'every photo processed', 120_000)
    const published = await api(relais, token, 'PUT', `/api/v1/transfers/${delivery}/publication`, { notify: false })
    assert.equal(published.status, 200)

    // --- The client's phone: 150 first, the rest on scrolling -------------------------
    const first = await page.goto(`${relais.base}/deliveries/${delivery}`)
    const html = await first.text()
    assert.ok(html.length < 300 * 1024, `the first page weighs ${html.length} bytes`)
    const figures = page.locator('[data-media] > figure')
    assert.equal(await figures.count(), PAGE, 'the first page holds 150 photos')
    assert.match(await page.locator('h1 + p').textContent(), /205 fichiers/)
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight))
    await eventually(async () => (await figures.count()) === COUNT, 'the rest loaded on scrolling')
    assert.equal(await page.locator('[data-more]').count(), 0, 'no more link after the last page')
    const names = await page.locator('[data-media] .name').allTextContents()
    assert.deepEqual(
      names.map((n) => n.trim()),
      Array.from({ length: COUNT }, (_, i) => `photo-${String(i + 1).padStart(3, '0')}.jpg`),
      'in order, each once',
    )
    await screenshot(page, 'fr-phone-long-delivery-end')

    // --- The preview steps from the last photo loaded into the next page ---------------
    await page.goto(`${relais.base}/deliveries/${delivery}`)
    assert.equal(await figures.count(), PAGE)
    await figures.nth(PAGE - 1).locator('[data-open-preview]').click()
    const position = page.locator('[data-lb-position]')
    // The next page may already be on its way (the end of the grid came near): either way
    // the count says so, and the step goes on into it.
    await eventually(
      async () => [`${PAGE} / ${PAGE}+`, `${PAGE} / ${COUNT}`].includes(await position.textContent()),
      'the last photo of the first page',
    )
    await page.keyboard.press('ArrowRight')
    await eventually(async () => (await position.textContent()) === `${PAGE + 1} / ${COUNT}`, 'stepped into the next page')
    assert.equal(await page.locator('[data-lb-name]').textContent(), 'photo-151.jpg')
    await screenshot(page, 'fr-phone-long-delivery-preview')
    await page.keyboard.press('Escape')

    // --- A guest's link, in English, with the button ------------------------------------
    const link = await api(relais, token, 'POST', `/api/v1/transfers/${delivery}/links`, { kind: 'view', permissions: ['view'] })
    assert.equal(link.status, 201, JSON.stringify(link.body))
    const guest = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 4000 } })).newPage()
    guest.on('pageerror', (e) => errors.push(e.message))
    await guest.goto(link.body.url)
    const guestFigures = guest.locator('[data-media] > figure')
    // A tall window shows the end at once: the next page loads without a scroll.
    await eventually(async () => (await guestFigures.count()) === COUNT, 'the guest gets every page')
    await guest.goto(`${link.body.url}?after=not-a-cursor`).then((r) => assert.equal(r.status(), 404))
    const small = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 }, javaScriptEnabled: false })).newPage()
    await small.goto(link.body.url)
    // Without a script, the link is a page of its own with the rest.
    const more = small.locator('[data-more]')
    assert.equal(await more.textContent(), 'Show more')
    await more.click()
    assert.equal(await small.locator('[data-media] > figure').count(), COUNT - PAGE)
    assert.equal(await small.locator('a:has-text("Back to the start")').count(), 1)
    await screenshot(small, 'en-guest-long-delivery-second-page')

    // --- The studio's page: the same pages, its order saved from what is loaded ---------
    await studio.goto(`${relais.base}/studio/transfers/${delivery}`)
    const cards = studio.locator('.file-grid .file-card')
    assert.equal(await cards.count(), PAGE)
    const saved = studio.waitForResponse((r) => r.url().endsWith('/order') && r.status() === 200)
    await studio.click('.file-card:nth-child(2) [data-move="up"]')
    await saved
    const order = (await api(relais, token, 'GET', `/api/v1/transfers/${delivery}`)).body.files.map((f) => f.name)
    assert.equal(order.length, COUNT, 'every file kept its place in the order')
    assert.deepEqual(order.slice(0, 3), ['photo-002.jpg', 'photo-001.jpg', 'photo-003.jpg'])
    assert.equal(order[COUNT - 1], 'photo-205.jpg', 'the files not loaded keep theirs after')
    await studio.locator('.file-card').last().scrollIntoViewIfNeeded()
    await eventually(async () => (await cards.count()) === COUNT, 'the studio gets the rest on scrolling')
    await screenshot(studio, 'fr-studio-long-delivery')
    assert.deepEqual(errors, [])
  } finally {
    await browser.close()
    await relais.stop()
  }
})
