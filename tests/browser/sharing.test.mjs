// Sharing, as people do it: the studio makes a guest's link from the delivery's page (its
// address and QR code shown once); a guest on a phone enters the PIN, picks favourites
// from the grid and the full-screen preview, submits the list and takes the web-size ZIP;
// the studio sees the selection and exports it. Then an upload link: a guest opens it from
// its QR address, gives their name and sends two files, one resumed after a reload; the
// studio accepts them. French and English, a 390 px phone and a desktop.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  addFiles,
  api,
  apiToken,
  clientPage,
  eventually,
  jpeg,
  launchBrowser,
  pattern,
  screenshot,
  startRelais,
  studioPage,
  tusUpload,
} from './harness.mjs'

const phone = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true }

/// The member names of a ZIP, read by Python's zipfile (a reader Relais did not write).
function zipNames(file) {
  const out = execFileSync(process.env.TEST_PYTHON || 'python3', [
    '-c',
    'import json, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps(sorted(z.namelist())))',
    file,
  ])
  return JSON.parse(out.toString())
}

test('a guest picks favourites on a phone and takes the web-size ZIP; the studio exports the selection', { timeout: 240_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-picks-'))
  const errors = []
  try {
    const studio = await studioPage(relais, browser, 'atelier@example.fr')
    studio.on('pageerror', (e) => errors.push(e.message))
    const token = apiToken(relais, 'atelier@example.fr')
    const { id: client } = await clientPage(relais, browser, { email: 'claire@example.fr', name: 'Claire et Louis' })
    const delivery = (await api(relais, token, 'POST', '/api/v1/transfers', { title: 'Mariage de Claire', direction: 'delivery', client })).body.id
    const photos = [['cortege.jpg', 'orange'], ['soiree.jpg', 'purple'], ['gateau.jpg', 'teal']]
    for (const [name, colour] of photos) await tusUpload(relais, token, delivery, name, jpeg(3000, 2000, colour))
    await eventually(async () => {
      const shown = await api(relais, token, 'GET', `/api/v1/transfers/${delivery}`)
      return shown.body.files.every((f) => f.status === 'ready')
    }, 'the photos processed', 60_000)
    assert.equal((await api(relais, token, 'PUT', `/api/v1/transfers/${delivery}/publication`, { notify: false })).status, 200)
    assert.equal((await api(relais, token, 'PUT', `/api/v1/transfers/${delivery}/selection/limits`, { limits: { Album: 2 } })).status, 204)

    // The studio makes the link on the delivery's page: favourites and web size, no
    // originals, a PIN. The address and its QR code show once.
    await studio.goto(`${relais.base}/studio/transfers/${delivery}`)
    await studio.locator('.new-link summary').click()
    await studio.fill('[data-share] input[name="label"]', 'Tante Marie')
    await studio.fill('[data-share] input[name="pin"]', '482913')
    await studio.uncheck('[data-share] input[value="download"]')
    await studio.check('[data-share] input[value="favourite"]')
    await studio.locator('[data-share] button[type="submit"]').click()
    await studio.locator('[data-step="link-made"]:not([hidden])').waitFor()
    const url = await studio.inputValue('[data-link-url]')
    assert.match(url, /\/l\/lnk_/)
    assert.equal(await studio.locator('[data-link-qr] svg').count(), 1, 'the QR code is shown')
    await screenshot(studio, 'fr-studio-link-made')

    for (const [locale, title, submitted] of [['fr-FR', /Mariage de Claire/, /Sélection envoyée/], ['en-GB', /Mariage de Claire/, /Selection sent/]]) {
      const context = await browser.newContext({ locale, ...phone, acceptDownloads: true })
      const page = await context.newPage()
      page.on('pageerror', (e) => errors.push(e.message))
      const dialogs = []
      page.on('dialog', (d) => {
        dialogs.push(d.message())
        d.accept()
      })
      await page.goto(url)
      await page.fill('input[name="pin"]', '482913')
      await page.locator('button[type="submit"]').click()
      await page.locator('.media').waitFor()
      assert.match(await page.locator('h1').innerText(), title)
      // Originals are not this link's: no download link, and a web-size ZIP instead.
      assert.equal(await page.locator('a[href$="/content"][download]').count(), 0)
      await page.locator('[data-picks]').waitFor()

      // The studio's list "Album" is offered with its limit; two hearts from the grid.
      await page.selectOption('[data-pick-list]', 'Album')
      const hearts = page.locator('.media [data-fav]')
      await hearts.nth(0).click()
      await eventually(async () => (await hearts.nth(0).getAttribute('aria-pressed')) === 'true', 'the first heart marked')
      // The third from the full-screen preview.
      await page.locator('.media figure').nth(2).locator('[data-open-preview]').click()
      await page.locator('#preview[open]').waitFor()
      await page.locator('[data-lb-fav]').click()
      await eventually(async () => (await page.locator('[data-lb-fav]').getAttribute('aria-pressed')) === 'true', 'marked in the preview')
      await screenshot(page, `guest-preview-fav-${locale}-phone`)
      await page.keyboard.press('Escape')
            assert.match(await page.locator('[data-pick-count]').innerText(), locale === 'fr-FR' ? /^2 sur 2$/ : /^2 of 2$/)
      // A third in a list of two is refused in words.
      await hearts.nth(1).click()
      await eventually(async () => dialogs.length === 1, 'the limit said')
      assert.equal(await hearts.nth(1).getAttribute('aria-pressed'), 'false')
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      assert.ok(overflow <= 0, `nothing wider than the phone (${overflow} px over)`)
      await screenshot(page, `guest-favourites-${locale}-phone`)

      // The web-size ZIP.
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-zip-web]').click()])
      const saved = path.join(dir, `${locale}.zip`)
      await download.saveAs(saved)
      assert.deepEqual(zipNames(saved), ['cortege.jpg', 'gateau.jpg', 'soiree.jpg'])

      // Submitted: locked, said so.
      await page.locator('[data-pick-submit]').click()
      await eventually(async () => submitted.test(await page.locator('[data-pick-state]').innerText()), 'submitted said')
      assert.ok(await hearts.nth(0).isDisabled(), 'a submitted list is locked')
      await screenshot(page, `guest-submitted-${locale}-phone`)
      await context.close()
      // The next language's guest is the same link: the studio reopens the list.
      const lists = (await api(relais, token, 'GET', `/api/v1/transfers/${delivery}/selection`)).body.lists
      assert.equal(lists.length, 1)
      assert.deepEqual(lists[0].files.map((f) => f.name).sort(), ['cortege.jpg', 'gateau.jpg'])
      assert.equal((await api(relais, token, 'POST', `/api/v1/selections/${lists[0].id}/reopen`)).status, 204)
      // Empty the list through the guest's own token for the next round.
      const unlocked = await (await fetch(`${relais.base}/api/v1/links/unlock`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: url.split('/l/')[1], pin: '482913' }) })).json()
      for (const f of lists[0].files) {
        await fetch(`${relais.base}/api/v1/files/${f.id}/favourite`, { method: 'DELETE', headers: { Authorization: `Bearer ${unlocked.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ list: 'Album' }) })
      }
    }

    // The studio sees the selection on the delivery's page and exports it.
    await studio.goto(`${relais.base}/studio/transfers/${delivery}`)
    const unlocked = await (await fetch(`${relais.base}/api/v1/links/unlock`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: url.split('/l/')[1], pin: '482913' }) })).json()
    const files = (await api(relais, token, 'GET', `/api/v1/transfers/${delivery}`)).body.files
    await fetch(`${relais.base}/api/v1/files/${files[0].id}/favourite`, { method: 'PUT', headers: { Authorization: `Bearer ${unlocked.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ list: 'Album' }) })
    await studio.reload()
    const row = studio.locator('[data-selections] li', { hasText: 'Album' })
    await row.waitFor()
    assert.match(await row.innerText(), /Tante Marie/)
    const csv = await studio.request.get(`${relais.base}${await row.locator('a', { hasText: 'CSV' }).getAttribute('href')}`)
    assert.equal(csv.status(), 200)
    assert.match(await csv.text(), new RegExp(`^name,sha256,list,who\\r\\n${files[0].name},${files[0].sha256},Album,Tante Marie`))
    await screenshot(studio, 'fr-studio-selections')
    await studio.setViewportSize({ width: 390, height: 844 })
    await screenshot(studio, 'fr-studio-selections-phone')
    assert.deepEqual(errors, [], 'no script error')
  } finally {
    await browser.close()
    await relais.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('a guest sends two files through an upload link from its QR address, one resumed after a reload; the studio accepts them', { timeout: 240_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-drop-'))
  const errors = []
  try {
    const studio = await studioPage(relais, browser, 'atelier@example.fr')
    studio.on('pageerror', (e) => errors.push(e.message))
    const token = apiToken(relais, 'atelier@example.fr')
    const { id: client } = await clientPage(relais, browser, { email: 'claire@example.fr', name: 'Claire et Louis' })
    const inbound = (await api(relais, token, 'POST', '/api/v1/transfers', { title: 'Pour le film', direction: 'inbound', client })).body.id

    await studio.goto(`${relais.base}/studio/transfers/${inbound}`)
    await studio.locator('.new-link summary').click()
    await studio.fill('[data-share] input[name="label"]', 'DJ – playlist')
    await studio.fill('[data-share] input[name="max_files"]', '5')
    await studio.check('[data-share] input[value="music"]')
    await studio.check('[data-share] input[value="video"]')
    await screenshot(studio, 'fr-studio-upload-link-form')
    await studio.locator('[data-share] button[type="submit"]').click()
    await studio.locator('[data-step="link-made"]:not([hidden])').waitFor()
    const url = await studio.inputValue('[data-link-url]')
    await screenshot(studio, 'fr-studio-upload-link-made')

    const big = path.join(dir, 'soirée.mov')
    const song = path.join(dir, 'ouverture.mp3')
    fs.writeFileSync(big, pattern(40 * 1024 * 1024, 5))
    fs.writeFileSync(song, pattern(300 * 1024, 6))

    for (const locale of ['en-GB', 'fr-FR']) {
      const context = await browser.newContext({ locale, ...phone })
      const page = await context.newPage()
      page.on('pageerror', (e) => errors.push(e.message))
      await page.goto(url)
      await screenshot(page, `guest-drop-start-${locale}-phone`)
      if (locale === 'en-GB') {
        // The English guest only looks at the form: its words, no uploader yet.
        assert.match(await page.locator('main').innerText(), /invites you to send your files/)
        assert.equal(await page.locator('.uppy-Dashboard').count(), 0)
        await context.close()
        continue
      }
      await page.fill('input[name="name"]', 'DJ Max')
      await page.fill('input[name="email"]', 'dj@example.com')
      await page.locator('button[type="submit"]').click()
      await page.waitForSelector('.uppy-Dashboard')
      assert.match(await page.locator('[data-sending-as]').innerText(), /DJ Max/)
      const body = await page.locator('body').innerText()
      assert.ok(!body.includes('Relais'), 'the studio faces its guests, not the product')

      const cdp = await context.newCDPSession(page)
      await cdp.send('Network.enable')
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 3 * 1024 * 1024 })
      await addFiles(page, [song, big])
      await page.click('.uppy-StatusBar-actionBtn--upload')
      await page.waitForFunction(() => {
        const file = Object.values(window.relaisUppy.getState().files).find((f) => f.name.startsWith('soir'))
        return file && file.progress.bytesUploaded > 8 * 1024 * 1024
      }, null, { timeout: 60_000 })
      page.once('dialog', (d) => d.accept())
      await page.reload()
      await page.waitForSelector('.uppy-Dashboard')
      await cdp.detach().catch(() => {})
      const offsets = []
      page.on('request', (r) => {
        if (r.method() === 'PATCH') offsets.push(Number(r.headers()['upload-offset']))
      })
      await addFiles(page, [song, big])
      await page.click('.uppy-StatusBar-actionBtn--upload')
      // The page reloads once the batch is told; it then lists what this browser sent.
      await eventually(async () => (await page.locator('[data-sent] .badge.ok').count()) === 2, 'both received and checked', 120_000)
      assert.ok(offsets.some((o) => o >= 8 * 1024 * 1024), `the film resumed (PATCH offsets ${offsets})`)
      const sent = await page.locator('[data-sent]').innerText()
      assert.match(sent, /soirée\.mov/)
      assert.match(sent, /ouverture\.mp3/)
      await screenshot(page, `guest-drop-sent-${locale}-phone`)
      await context.close()
    }

    // The studio is told once, and the guest gets a receipt.
    const told = await relais.waitForMail((m) => m.includes('atelier@example.fr') && m.includes('DJ Max')).catch((e) => {
      console.log(relais.outbox().map((m) => m.slice(0, 600)).join('\n-----\n'))
      throw e
    })
    assert.match(told, /ouverture\.mp3/)
    await relais.waitForMail((m) => m.includes('dj@example.com') && m.includes('ouverture.mp3'))

    // The studio accepts both from the transfer's page.
    await studio.goto(`${relais.base}/studio/transfers/${inbound}`)
    assert.equal(await studio.locator('[data-pending]').count(), 2)
    await screenshot(studio, 'fr-studio-to-review')
    for (let i = 0; i < 2; i++) {
      await studio.locator('button', { hasText: 'Accepter' }).first().click()
      await studio.waitForLoadState('load')
      await eventually(async () => (await studio.locator('[data-pending]').count()) === 1 - i, 'one accepted')
    }
    const files = (await api(relais, token, 'GET', `/api/v1/transfers/${inbound}`)).body.files
    assert.deepEqual(files.map((f) => [f.name, f.guest_name, f.pending_review]).sort(), [['ouverture.mp3', 'DJ Max', false], ['soirée.mov', 'DJ Max', false]])
    assert.deepEqual(errors, [], 'no script error')
  } finally {
    await browser.close()
    await relais.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('a client the studio allows makes an upload link from their own page', { timeout: 180_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const errors = []
  try {
    const studio = await studioPage(relais, browser, 'atelier@example.fr')
    studio.on('pageerror', (e) => errors.push(e.message))
    const { id: client, page } = await clientPage(relais, browser, { email: 'claire@example.fr', name: 'Claire et Louis', context: phone })
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${relais.base}/send`)
    assert.equal(await page.locator('[data-share]').count(), 0, 'not before the studio allows it')

    await studio.goto(`${relais.base}/studio/clients/${client}`)
    await studio.check('[data-may-share] input[name="may_share"]')
    // Saved, the page reloads and shows it.
    await Promise.all([studio.waitForNavigation(), studio.locator('[data-may-share] button[type="submit"]').click()])
    assert.ok(await studio.locator('[data-may-share] input[name="may_share"]').isChecked())
    await screenshot(studio, 'fr-studio-client-may-share')

    for (const [lang, title] of [['fr', /Partager avec vos invités/], ['en', /Share with your guests/]]) {
      // The client's own language, as the page's switch sets it.
      await page.evaluate(async (locale) => {
        const csrf = document.querySelector('meta[name="csrf-token"]').content
        await fetch('/api/v1/me', { method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify({ locale }) })
      }, lang)
      await page.goto(`${relais.base}/send`)
      await page.locator('[data-share]').waitFor()
      assert.match(await page.locator('[data-share] h2').innerText(), title)
      await page.locator('.new-link summary').click()
      await page.fill('[data-share] input[name="label"]', lang === 'fr' ? 'Les témoins' : 'The witnesses')
      await page.locator('[data-share] button[type="submit"]').click()
      await page.locator('[data-step="link-made"]:not([hidden])').waitFor()
      assert.match(await page.inputValue('[data-link-url]'), /\/l\/lnk_/)
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      assert.ok(overflow <= 0, `nothing wider than the phone (${overflow} px over)`)
      await screenshot(page, `client-link-made-${lang}-phone`)
      await page.locator('[data-reload]').click()
      await page.locator('[data-links] li').first().waitFor()
    }
    assert.equal(await page.locator('[data-links] li').count(), 2)
    assert.deepEqual(errors, [], 'no script error')
  } finally {
    await browser.close()
    await relais.stop()
  }
})
