// A film from an iPhone (HEVC in a .mov, PCM sound: Chromium plays neither) is delivered:
// the studio's page says its web copy is ready, and the client's page plays it (the
// <video> reaches canplay and its time advances), on a phone, in French and English.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { api, apiToken, clientPage, eventually, launchBrowser, screenshot, startRelais, studioPage, tusUpload } from './harness.mjs'

test('a delivered HEVC film plays in Chromium through its web copy', { timeout: 240_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-video-'))
  const errors = []
  try {
    const studio = await studioPage(relais, browser, 'atelier@example.fr')
    const token = apiToken(relais, 'atelier@example.fr')
    const { id: client, page } = await clientPage(relais, browser, {
      email: 'claire@example.fr',
      name: 'Claire et Louis',
      context: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true },
    })
    page.on('pageerror', (e) => errors.push(e.message))
    const film = path.join(dir, 'IMG_0042.MOV')
    execFileSync('ffmpeg', [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=960x540:rate=25',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '3', '-c:v', 'libx265', '-x265-params', 'log-level=error', '-tag:v', 'hvc1', '-c:a', 'pcm_s16le', film,
    ])
    const delivery = (await api(relais, token, 'POST', '/api/v1/transfers', { title: 'Le film', direction: 'delivery', client })).body.id
    await tusUpload(relais, token, delivery, 'IMG_0042.MOV', fs.readFileSync(film))
    const file = await eventually(async () => {
      const shown = await api(relais, token, 'GET', `/api/v1/transfers/${delivery}`)
      const f = shown.body.files[0]
      return f?.web_copy?.state === 'ready' && f
    }, 'the web copy made', 120_000)
    assert.equal(file.web_copy.width, 960)
    assert.equal((await api(relais, token, 'PUT', `/api/v1/transfers/${delivery}/publication`, { notify: false })).status, 200)

    await studio.goto(`${relais.base}/studio/transfers/${delivery}`)
    assert.match(await studio.locator('[data-web-copy]').innerText(), /Copie web prête/)

    for (const lang of ['fr', 'en']) {
      await page.evaluate(async (locale) => {
        const csrf = document.querySelector('meta[name="csrf-token"]').content
        await fetch('/api/v1/me', { method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify({ locale }) })
      }, lang)
      await page.goto(`${relais.base}/deliveries/${delivery}`)
      const video = page.locator('.media video')
      await video.waitFor()
      const played = await video.evaluate(async (v) => {
        v.muted = true
        v.preload = 'auto'
        v.load()
        await new Promise((resolve, reject) => {
          v.addEventListener('canplay', resolve, { once: true })
          v.addEventListener('error', () => reject(new Error(`video error ${v.error?.code}`)), { once: true })
        })
        await v.play()
        const start = v.currentTime
        await new Promise((r) => setTimeout(r, 1200))
        return { start, now: v.currentTime, src: v.currentSrc, width: v.videoWidth }
      })
      assert.ok(played.now > played.start, `the time advances (${JSON.stringify(played)})`)
      assert.equal(played.width, 960)
      assert.match(played.src, /\?play=1$/)
      await screenshot(page, `client-film-${lang}-phone`)
    }
    // The download is the original .mov, byte-exact.
    const original = await page.request.get(`${relais.base}/api/v1/files/${file.id}/content`)
    assert.equal(Buffer.compare(await original.body(), fs.readFileSync(film)), 0)
    assert.deepEqual(errors, [], 'no script error')
  } finally {
    await browser.close()
    await relais.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
