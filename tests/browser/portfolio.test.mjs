// The portfolio in a real browser: the studio creates an album from its pages, drops two
// photos into it with the uploader, captions one, makes the other the cover and
// publishes; a visitor on a phone sees the album in French and English with the sizes
// the browser chose actually loaded, no sideways scroll, and the WebP variant preferred.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { launchBrowser, screenshot, startRelais, studioPage } from './harness.mjs'

/// A real JPEG made by the browser's own canvas (no binary fixture in the repository).
async function jpegFromCanvas(page, width, height, colour) {
  const base64 = await page.evaluate(
    async ({ width, height, colour }) => {
      const canvas = document.createElement('canvas')
      canvas.width = width
      canvas.height = height
      const g = canvas.getContext('2d')
      g.fillStyle = colour
      g.fillRect(0, 0, width, height)
      g.fillStyle = '#fff'
      g.fillRect(width / 4, height / 4, width / 2, height / 2)
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9))
      const bytes = new Uint8Array(await blob.arrayBuffer())
      let text = ''
      for (const b of bytes) text += String.fromCharCode(b)
      return btoa(text)
    },
    { width, height, colour },
  )
  return Buffer.from(base64, 'base64')
}

test('studio builds and publishes an album; a visitor sees it on a phone', { timeout: 180_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-portfolio-'))
  try {
    const studio = await studioPage(relais, browser)
    const errors = []
    studio.on('pageerror', (e) => errors.push(e.message))

    // --- An album, created from the portfolio page --------------------------------------
    await studio.click('nav >> text=Portfolio')
    await studio.fill('form[data-api="/api/v1/portfolio/albums"] input[name="title"]', 'Mariage à Giverny')
    await studio.click('form[data-api="/api/v1/portfolio/albums"] button[type="submit"]')
    await studio.waitForURL(/\/studio\/portfolio\/albums\//)
    assert.equal(await studio.inputValue('input[name="slug"]'), 'mariage-a-giverny')

    // --- Two photos through the same uploader as everywhere -----------------------------
    const wide = path.join(dir, 'jardin.jpg')
    const tall = path.join(dir, 'alliances.jpg')
    fs.writeFileSync(wide, await jpegFromCanvas(studio, 3000, 2000, '#2f6b4a'))
    fs.writeFileSync(tall, await jpegFromCanvas(studio, 1500, 2250, '#7a5c45'))
    await studio.waitForSelector('.uppy-Dashboard')
    // The portfolio's picker offers photos and videos only, and no category choice.
    assert.deepEqual(JSON.parse(await studio.getAttribute('#uploader', 'data-accept')), ['image/*', 'video/*'])
    assert.equal(await studio.locator('fieldset.categories').count(), 0)
    const picker = studio.locator('input.uppy-Dashboard-input[type="file"]:not([webkitdirectory])')
    assert.match(await picker.getAttribute('accept'), /image\/\*/)
    await studio.locator('input.uppy-Dashboard-input[type="file"]:not([webkitdirectory])').setInputFiles([wide, tall])
    await studio.click('.uppy-StatusBar-actionBtn--upload')
    await studio.waitForSelector('#upload-done:not([hidden])', { timeout: 60_000 })
    // The page reloads once the uploads are done; the pipeline then makes the sizes.
    await studio.waitForFunction(() => document.querySelectorAll('.portfolio-item').length === 2, null, { timeout: 30_000 })
    for (let i = 0; i < 60; i++) {
      await studio.reload()
      if ((await studio.locator('.portfolio-item .badge.warn').count()) === 0) break
      await studio.waitForTimeout(500)
    }
    assert.equal(await studio.locator('.portfolio-item img').count(), 2, 'both photos have a thumbnail')

    // Caption the second, make it the cover, move it first, publish.
    const second = studio.locator('.portfolio-item').nth(1)
    const name = (await second.locator('.name').textContent()).trim()
    await second.locator('input[name="caption"]').fill('Les alliances')
    await second.locator('input[name="caption_en"]').fill('The rings')
    await second.locator('button[type="submit"]').click()
    await second.locator('.inline-ok').waitFor()
    assert.equal(await second.locator('input[name="caption"]').inputValue(), 'Les alliances', 'kept after saving')
    // Listening before the click: the answer can arrive before the click call returns.
    const ordered = studio.waitForResponse((r) => r.url().endsWith('/order') && r.status() === 204)
    await second.locator('[data-move="up"]').click()
    await ordered
    await studio.reload()
    assert.equal((await studio.locator('.portfolio-item .name').first().textContent()).trim(), name, 'the order was saved')
    await studio.locator('.portfolio-item').first().locator('button:has-text("Choisir comme couverture")').click()
    await studio.waitForSelector('.portfolio-item .badge.ok')
    await studio.fill('input[name="title_en"]', 'A wedding in Giverny')
    await studio.check('input[name="published"]')
    await studio.click('form[data-method="PATCH"][data-api^="/api/v1/portfolio/albums/"] button[type="submit"]')
    await studio.waitForSelector('a:has-text("Voir la page publique")')
    await screenshot(studio, 'fr-studio-album')
    assert.deepEqual(errors, [])

    // --- A visitor on a phone -----------------------------------------------------------
    const phone = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 })).newPage()
    const pictures = []
    phone.on('response', (r) => {
      if (r.url().includes('/media/')) pictures.push({ url: r.url(), type: r.headers()['content-type'], status: r.status() })
    })
    await phone.goto(`${relais.base}/`)
    await phone.waitForSelector('.covers img')
    assert.equal(await phone.getAttribute('.covers a', 'href'), '/albums/mariage-a-giverny')
    await phone.click('.covers a')
    await phone.waitForURL(/\/albums\/mariage-a-giverny$/)
    assert.equal(await phone.textContent('h1'), 'Mariage à Giverny')
    await phone.waitForFunction(() => [...document.images].slice(0, 1).every((img) => img.complete && img.naturalWidth > 0))
    assert.equal(await phone.textContent('figcaption'), 'Les alliances')
    const first = await phone.evaluate(() => {
      const img = document.querySelector('.gallery img')
      return { src: img.currentSrc, width: img.naturalWidth, box: img.getBoundingClientRect().width }
    })
    // A 390 px phone at 2× picks a size near 780 px wide: the 1200 px one, never the largest.
    assert.match(first.src, /\/medium\.webp\?v=/, JSON.stringify(first))
    assert.ok(first.box <= 390, JSON.stringify(first))
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 0, `scrolls sideways by ${overflow}px`)
    assert.ok(pictures.every((p) => p.status === 200 || p.status === 304), JSON.stringify(pictures))
    assert.ok(pictures.some((p) => p.type === 'image/webp'))
    await screenshot(phone, 'fr-public-album-phone')

    await phone.click('text=English')
    await phone.waitForURL(/\/en\/albums\/mariage-a-giverny$/)
    assert.equal(await phone.textContent('h1'), 'A wedding in Giverny')
    assert.equal(await phone.textContent('figcaption'), 'The rings')
    await screenshot(phone, 'en-public-album-phone')
  } finally {
    await browser.close()
    relais.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
