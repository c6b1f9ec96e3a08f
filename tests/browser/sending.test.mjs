// A client names what they send: the batch becomes a transfer of its own, the studio is
// told once with its name, and the ZIP carries the client's name and the title. Files
// over the limit are refused in French units, and the refusal stays until it is closed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { addFiles, apiToken, api, clientPage, launchBrowser, pattern, screenshot, startRelais, studioPage } from './harness.mjs'


test('a named batch, its email and its ZIP; refusals in French units stay until closed', { timeout: 180_000 }, async () => {
  // The limit is written the way the pages show it.
  const relais = await startRelais({ RELAIS_UPLOADS__MAX_FILE_SIZE: '1 Mo' })
  const browser = await launchBrowser()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-batch-'))
  const errors = []
  try {
    const studio = await studioPage(relais, browser)
    const token = apiToken(relais)
    const { page } = await clientPage(relais, browser, { email: 'claire@example.fr', name: 'Claire et Louis' })
    page.on('pageerror', (e) => errors.push(e.message))
    const song = path.join(dir, 'ouverture.mp3')
    const other = path.join(dir, 'final.mp3')
    const huge = path.join(dir, 'trop-gros.mov')
    fs.writeFileSync(song, pattern(300 * 1024, 1))
    fs.writeFileSync(other, pattern(200 * 1024, 2))
    fs.writeFileSync(huge, pattern(2 * 1024 * 1024, 3))

    await page.goto(`${relais.base}/send`)
    await page.waitForSelector('.uppy-Dashboard')
    assert.match(await page.textContent('.lead'), /1\u00a0Mo/)

    // Too large: refused before sending, in French units, and it stays.
    await addFiles(page, [huge])
    const refusal = page.locator('[data-refusals] .refusal')
    await refusal.waitFor()
    assert.match(await refusal.textContent(), /1\u00a0Mo/)
    await page.locator('.uppy-Informer p').waitFor({ state: 'hidden', timeout: 15000 }).catch(() => {})
    assert.equal(await refusal.count(), 1, 'the refusal is still there after Uppy’s own notice went')
    await screenshot(page, 'fr-client-send-refused')
    await refusal.locator('button').click()
    assert.equal(await refusal.count(), 0)

    // A named batch.
    await page.fill('[data-batch-name]', 'Musique pour le film')
    await addFiles(page, [song, other])
    await page.click('.uppy-StatusBar-actionBtn--upload')
    await page.waitForSelector('#upload-done:not([hidden])', { timeout: 60_000 })
    assert.equal(await page.inputValue('[data-batch-name]'), '', 'the name is cleared for the next batch')
    const mine = (await api(relais, token, 'GET', '/api/v1/transfers')).body
    const batch = mine.find((t) => t.title === 'Musique pour le film')
    assert.ok(batch, `a transfer named after the batch: ${JSON.stringify(mine.map((t) => t.title))}`)
    const shown = await api(relais, token, 'GET', `/api/v1/transfers/${batch.id}`)
    assert.deepEqual(shown.body.files.map((f) => f.name).sort(), ['final.mp3', 'ouverture.mp3'])
    // The studio is told once, with the batch's name.
    const told = await relais.waitForMail((m) => m.includes('studio@example.fr') && m.includes('Musique pour le film'))
    assert.match(told, /Claire et Louis/)
    // The page lists the batch under its name.
    await page.reload()
    assert.ok(await page.locator('.tile h3:has-text("Musique pour le film")').isVisible())

    // The studio's ZIP of it says whose and what.
    const zip = await studio.request.get(`${relais.base}/api/v1/transfers/${batch.id}/archive`)
    assert.equal(zip.status(), 200)
    assert.match(zip.headers()['content-disposition'], /Claire%20et%20Louis%20%E2%80%93%20Musique%20pour%20le%20film\.zip/)
    assert.deepEqual(errors, [])
  } finally {
    await browser.close()
    await relais.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
