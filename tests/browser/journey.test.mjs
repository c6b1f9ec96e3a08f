// The whole journey in a real browser: a client accepts the invitation, drops files into
// two categories (one of 50 MB), reloads mid-upload and resumes; the studio sees and
// downloads a file with the right SHA-256, publishes a delivery; the client gets the
// email, previews the photo and downloads the ZIP. Screenshots of the main pages go to
// target/screenshots (French and English).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { addFiles, launchBrowser, linkIn, pattern, screenshot, startRelais, totp } from './harness.mjs'

const PASSWORD = 'un mot de passe solide'
/// Adds files through the Dashboard's own file picker ("add more" once it lists files).

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')


test('client and studio journey', { timeout: 240_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const files = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-files-'))
  try {
    // --- First run: the studio account is made from the link on the console ----------
    const studio = await browser.newContext({ locale: 'fr-FR', acceptDownloads: true })
    const admin = await studio.newPage()
    const pageErrors = []
    admin.on('pageerror', (e) => pageErrors.push(e.message))
    await admin.goto(`${relais.base}${relais.setupLink().pathname}`)
    await screenshot(admin, 'fr-setup')
    // Every mistake is named at once.
    await admin.fill('input[name="email"]', 'studio@')
    await admin.click('button[type="submit"]')
    await admin.waitForSelector('input[name="studio_name"][aria-invalid="true"]')
    assert.equal(await admin.locator('[data-step="account"] .field-error:not([hidden])').count(), 4)
    await admin.fill('input[name="studio_name"]', 'Studio Lumière')
    await admin.fill('input[name="name"]', 'Camille Martin')
    await admin.fill('input[name="email"]', 'studio@example.fr')
    await admin.fill('input[name="password"]', 'correct horse battery staple')
    await admin.click('button[type="submit"]')
    await admin.waitForSelector('[data-step="totp"]:not([hidden]) [data-qr] svg')
    assert.equal(await admin.locator('[data-codes] li').count(), 10, 'ten recovery codes are shown')
    const secret = (await admin.textContent('[data-secret]')).trim()
    await screenshot(admin, 'fr-setup-totp')
    // A wrong code gets its message, under the code field.
    await admin.fill('input[name="totp"]', totp(secret) === '000000' ? '111111' : '000000')
    await admin.click('[data-step="totp"] button[type="submit"]')
    const codeError = admin.locator('[data-step="totp"] .field-error:not([hidden])')
    await codeError.waitFor()
    assert.match(await codeError.textContent(), /code/i)
    await admin.fill('input[name="totp"]', totp(secret))
    await admin.click('[data-step="totp"] button[type="submit"]')
    await admin.waitForURL(/\/studio$/)
    // The link worked once.
    const spent = await (await fetch(`${relais.base}${relais.setupLink().pathname}`)).text()
    assert.match(spent, /Lien expiré/)
    assert.match(spent, /existe déjà/)
    assert.doesNotMatch(spent, /Redémarrez/)

    // --- The studio creates the client, who gets the invitation -----------------------
    await admin.click('text=Clients')
    await admin.fill('form[data-api="/api/v1/clients"] input[name="name"]', 'Anne Dupont')
    await admin.fill('form[data-api="/api/v1/clients"] input[name="email"]', 'pas-une-adresse')
    await admin.click('form[data-api="/api/v1/clients"] button[type="submit"]')
    await admin.waitForSelector('form[data-api="/api/v1/clients"] .field-error:not([hidden])')
    await admin.fill('form[data-api="/api/v1/clients"] input[name="email"]', 'anne@example.fr')
    await admin.click('form[data-api="/api/v1/clients"] button[type="submit"]')
    await admin.waitForSelector('td a:has-text("Anne Dupont")')
    await screenshot(admin, 'fr-studio-clients')

    // --- The client accepts the invitation and chooses a password ---------------------
    const invitation = await relais.waitForMail((m) => m.includes('anne@example.fr') && m.includes('/invitation/'))
    const client = await browser.newContext({ locale: 'fr-FR', acceptDownloads: true })
    const page = await client.newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
    // Refused API calls (the wrong password above) are logged by the browser as failed
    // loads; they are expected. Script errors are not.
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load') && pageErrors.push(m.text()))
    await page.goto(`${relais.base}${linkIn(invitation, '/invitation/').pathname}`)
    await screenshot(page, 'fr-invitation')
    await page.fill('input[name="password"]', 'court')
    await page.click('button[type="submit"]')
    await page.waitForSelector('.field-error:not([hidden])')
    assert.match(await page.textContent('.field-error:not([hidden])'), /10 caractères/)
    await page.fill('input[name="password"]', PASSWORD)
    await page.click('button[type="submit"]')
    await page.waitForURL(/\/login\?done=password/)

    // --- Logs in ---------------------------------------------------------------------
    // A client without two-step verification is never asked for a code, and no empty
    // error box shows.
    assert.equal(await page.locator('input[name="totp"]').isVisible(), false)
    assert.equal(await page.locator('.field-error:visible').count(), 0)
    await page.fill('input[name="email"]', 'anne@example.fr')
    await page.fill('input[name="password"]', 'pas le bon')
    await page.click('button[type="submit"]')
    await page.waitForSelector('.form-error:not([hidden])')
    assert.match(await page.textContent('.form-error'), /incorrect/)
    assert.equal(await page.locator('input[name="totp"]').isVisible(), false)
    await page.fill('input[name="password"]', PASSWORD)
    await page.click('button[type="submit"]')
    await page.waitForURL(/\/deliveries$/)
    await screenshot(page, 'fr-client-deliveries-empty')

    // --- Drops files into two categories, the big one throttled ----------------------
    const big = pattern(52 * 1024 * 1024, 1)
    const song = pattern(3 * 1024 * 1024 + 123, 2)
    const plan = pattern(200 * 1024, 3)
    const bigPath = path.join(files, 'film-cérémonie.mov')
    const songPath = path.join(files, 'entrée des mariés.mp3')
    const planPath = path.join(files, 'plan de table.pdf')
    fs.writeFileSync(bigPath, big)
    fs.writeFileSync(songPath, song)
    fs.writeFileSync(planPath, plan)

    await page.goto(`${relais.base}/send`)
    await page.waitForSelector('.uppy-Dashboard')
    const cdp = await client.newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 3 * 1024 * 1024,
    })
    await page.check('input[name="category"][value="music"]', { force: true })
    await addFiles(page, [songPath, bigPath])
    await page.check('input[name="category"][value="document"]', { force: true })
    await addFiles(page, [planPath])
    await screenshot(page, 'fr-client-send')
    await page.click('.uppy-StatusBar-actionBtn--upload')

    // Mid-upload (the big file partly sent), the page is reloaded.
    await page.waitForFunction(() => {
      const files = Object.values(window.relaisUppy.getState().files)
      const bigOne = files.find((f) => f.name.startsWith('film'))
      return bigOne && bigOne.progress.bytesUploaded > 12 * 1024 * 1024
    }, null, { timeout: 60_000 })
    // Leaving mid-upload asks first.
    const leaving = new Promise((resolve) => {
      page.once('dialog', async (dialog) => {
        resolve(dialog.type())
        await dialog.accept()
      })
    })
    await page.reload()
    assert.equal(await leaving, 'beforeunload', 'the browser asked before leaving an upload')
    await page.waitForSelector('.uppy-Dashboard')
    await cdp.detach().catch(() => {})
    // The files come back as they were, with how much was already sent, waiting to be
    // selected again.
    const restored = await page.waitForFunction(() => {
      const files = Object.values(window.relaisUppy.getState().files)
      const film = files.find((f) => f.name.startsWith('film'))
      return film && film.isGhost && film.progress.bytesUploaded > 0 && film.progress.bytesUploaded
    })
    assert.ok((await restored.jsonValue()) > 0)
    await screenshot(page, 'fr-client-send-restored')

    // Selecting the same files again resumes instead of restarting: the first PATCH of
    // the big file starts past zero.
    const patchOffsets = []
    page.on('request', (r) => {
      if (r.method() === 'PATCH') patchOffsets.push(Number(r.headers()['upload-offset']))
    })
    await page.check('input[name="category"][value="music"]', { force: true })
    await addFiles(page, [songPath, bigPath])
    await page.check('input[name="category"][value="document"]', { force: true })
    await addFiles(page, [planPath])
    await page.click('.uppy-StatusBar-actionBtn--upload')
    await page.waitForSelector('#upload-done:not([hidden])', { timeout: 120_000 })
    assert.ok(
      patchOffsets.some((o) => o >= 12 * 1024 * 1024),
      `the big file resumed past 12 MiB (PATCH offsets after reload: ${patchOffsets})`,
    )
    await screenshot(page, 'fr-client-send-done')
    // Files finished before the reload were recognised, not stored twice.
    const mine = await (await page.request.get(`${relais.base}/api/v1/transfers`)).json()
    const sent = await (await page.request.get(`${relais.base}/api/v1/transfers/${mine[0].id}`)).json()
    assert.deepEqual(
      sent.files.map((f) => f.name).sort(),
      ['entrée des mariés.mp3', 'film-cérémonie.mov', 'plan de table.pdf'],
    )
    // Stored (the media pipeline may already have made them `ready`).
    assert.ok(sent.files.every((f) => ['stored', 'processing', 'ready'].includes(f.status) && f.sha256))
    const categories = Object.fromEntries(sent.files.map((f) => [f.name, f.category]))
    assert.deepEqual(categories, {
      'entrée des mariés.mp3': 'music',
      'film-cérémonie.mov': 'music',
      'plan de table.pdf': 'document',
    })

    // One email to the studio for the finished upload, listing the files.
    const received = await relais.waitForMail((m) => m.includes('studio@example.fr') && m.includes('vous a envoy'))
    assert.match(received, /film-cérémonie\.mov/)
    assert.match(received, /plan de table\.pdf/)

    // --- The studio, still signed in, finds the files -----------------------------
    await admin.goto(`${relais.base}/studio`)
    await screenshot(admin, 'fr-studio-dashboard')

    await admin.click('text=Clients')
    await admin.click('text=Anne Dupont')
    await admin.waitForURL(/\/studio\/clients\//)
    await screenshot(admin, 'fr-studio-client')
    await admin.click('.tile >> nth=0')
    await admin.waitForURL(/\/studio\/transfers\//)
    await screenshot(admin, 'fr-studio-inbound')
    const [download] = await Promise.all([
      admin.waitForEvent('download'),
      admin.click('a[download]:has-text("film-cérémonie.mov")'),
    ])
    assert.equal(sha256(fs.readFileSync(await download.path())), sha256(big), 'the studio gets the exact bytes')
    assert.equal(download.suggestedFilename(), 'film-cérémonie.mov')

    // --- The studio makes a delivery with a photo and publishes it -------------------
    const jpeg = Buffer.from(
      (
        await admin.evaluate(() => {
          const c = document.createElement('canvas')
          c.width = 900
          c.height = 600
          const g = c.getContext('2d')
          const grad = g.createLinearGradient(0, 0, 900, 600)
          grad.addColorStop(0, '#d9c3a5')
          grad.addColorStop(1, '#6d4c3d')
          g.fillStyle = grad
          g.fillRect(0, 0, 900, 600)
          return c.toDataURL('image/jpeg', 0.9)
        })
      ).split(',')[1],
      'base64',
    )
    const photoPath = path.join(files, 'mariage-001.jpg')
    fs.writeFileSync(photoPath, jpeg)
    await admin.goBack()
    await admin.fill('input[name="title"]', 'Photos du mariage')
    await admin.click('form[data-api="/api/v1/transfers"] button[type="submit"]')
    await admin.waitForURL(/\/studio\/transfers\//)
    await admin.waitForSelector('.uppy-Dashboard')
    await addFiles(admin, [photoPath])
    await admin.click('.uppy-StatusBar-actionBtn--upload')
    await admin.waitForSelector('.file-card .name:has-text("mariage-001.jpg")', { timeout: 30_000 })
    await admin.click('form[data-api$="/publication"] button[type="submit"]')
    await admin.waitForSelector('.badge.ok:has-text("Publiée")')
    await screenshot(admin, 'fr-studio-delivery')

    // --- The client is told, previews the photo, downloads the ZIP ------------------
    const announced = await relais.waitForMail((m) => m.includes('anne@example.fr') && m.includes('/deliveries/'))
    const deliveryPath = linkIn(announced, '/deliveries/').pathname
    await page.goto(`${relais.base}${deliveryPath}`)
    await page.click('a[data-preview]')
    await page.waitForFunction(() => {
      const img = document.querySelector('dialog#preview img')
      return document.querySelector('dialog#preview').open && img.complete && img.naturalWidth === 900
    })
    await screenshot(page, 'fr-client-preview')
    await page.click('dialog#preview form[method="dialog"] button')
    await screenshot(page, 'fr-client-delivery')
    const [zip] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("Tout télécharger")')])
    // The studio's name, the client's and the delivery's title.
    assert.equal(zip.suggestedFilename(), 'Studio Lumière – Anne Dupont – Photos du mariage.zip')
    const zipPath = path.join(files, 'delivery.zip')
    await zip.saveAs(zipPath)
    const listing = execFileSync('unzip', ['-l', zipPath], { encoding: 'utf8' })
    assert.match(listing, /mariage-001\.jpg/)
    execFileSync('unzip', ['-t', zipPath])

    // --- The client turns on two-step verification in the profile ---------------------
    await page.goto(`${relais.base}/profile`)
    await page.click('form[data-on-success="totpStart"] button')
    await page.waitForSelector('[data-step="totp"]:not([hidden]) [data-qr] svg')
    const clientSecret = (await page.textContent('[data-step="totp"] [data-secret]')).trim()
    await page.fill('[data-step="totp"] input[name="totp"]', totp(clientSecret))
    await page.click('[data-step="totp"] button[type="submit"]')
    await page.waitForSelector('[data-step="totp-done"]:not([hidden]) [data-codes] li')
    await screenshot(page, 'fr-client-profile')

    // --- English pages, for the eye ----------------------------------------------------
    await page.goto(`${relais.base}${deliveryPath}`)
    await page.click('button[data-lang="en"]')
    await page.waitForSelector('html[lang="en"]')
    await screenshot(page, 'en-client-delivery')
    await page.goto(`${relais.base}/deliveries`)
    await screenshot(page, 'en-client-deliveries')
    await page.goto(`${relais.base}/send`)
    await page.waitForSelector('.uppy-Dashboard')
    await screenshot(page, 'en-client-send')
    await page.goto(`${relais.base}/profile`)
    await screenshot(page, 'en-client-profile')
    await admin.click('button[data-lang="en"]')
    await admin.waitForSelector('html[lang="en"]')
    await admin.goto(`${relais.base}/studio`)
    await screenshot(admin, 'en-studio-dashboard')
    await admin.goto(`${relais.base}/studio/activity`)
    await screenshot(admin, 'en-studio-activity')
    // On a phone: the pages fit the screen (no sideways scrolling).
    const phone = await browser.newContext({
      locale: 'fr-FR',
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      storageState: await client.storageState(),
    })
    const mobile = await phone.newPage()
    for (const [name, where] of [
      ['mobile-deliveries', '/deliveries'],
      ['mobile-delivery', deliveryPath],
      ['mobile-send', '/send'],
    ]) {
      await mobile.goto(`${relais.base}${where}`)
      if (where === '/send') await mobile.waitForSelector('.uppy-Dashboard')
      const width = await mobile.evaluate(() => document.documentElement.scrollWidth)
      assert.ok(width <= 390, `${where} fits a 390 px screen (${width} px)`)
      await screenshot(mobile, name)
    }

    const anon = await browser.newPage({ locale: 'en-GB' })
    await anon.goto(`${relais.base}/login`)
    await screenshot(anon, 'en-login')

    assert.deepEqual(pageErrors, [], 'no script errors on any page')
  } finally {
    await browser.close()
    await relais.stop()
    fs.rmSync(files, { recursive: true, force: true })
  }
})
