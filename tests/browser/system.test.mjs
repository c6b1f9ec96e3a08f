// The studio's system page as a person sees it: the release, the schema, where the data
// lives and the checks, coloured by verdict; French and English, desktop and phone, no
// script error, nothing wider than the screen.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { launchBrowser, screenshot, startRelais, studioPage } from './harness.mjs'

test('the system page reads on a desktop and a phone, in French and English', { timeout: 120_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const errors = []
  try {
    const studio = await studioPage(relais, browser, 'atelier@example.fr')
    studio.on('pageerror', (e) => errors.push(e.message))
    await studio.goto(`${relais.base}/studio`)
    await studio.getByRole('link', { name: 'État du système' }).click()
    await studio.waitForURL(`${relais.base}/studio/system`)
    assert.equal(await studio.locator('h1').innerText(), 'Système')
    assert.match(await studio.locator('[data-release]').innerText(), /^Relais \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}|unknown)\)$/)
    assert.equal(await studio.locator('[data-pending]').innerText(), 'aucune')
    assert.ok((await studio.locator('[data-check="ok"]').count()) >= 3, 'database, storage and mail answered')
    assert.equal(await studio.locator('[data-check="bad"]').count(), 0)
    await screenshot(studio, 'system-fr-desktop')
    for (const [width, height] of [[390, 844]]) {
      await studio.setViewportSize({ width, height })
      const overflow = await studio.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      assert.ok(overflow <= 0, `nothing wider than a ${width} px screen (${overflow} px over)`)
      await screenshot(studio, 'system-fr-phone')
    }
    await studio.setViewportSize({ width: 1280, height: 800 })
    // English: the owner's own language, set on the profile.
    const csrf = await studio.locator('meta[name="csrf-token"]').getAttribute('content')
    const changed = await studio.evaluate(
      async ([csrf]) =>
        (
          await fetch('/api/v1/me', {
            method: 'PATCH',
            headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
            body: JSON.stringify({ locale: 'en' }),
          })
        ).status,
      [csrf],
    )
    assert.equal(changed, 200)
    await studio.goto(`${relais.base}/studio/system`)
    assert.equal(await studio.locator('h1').innerText(), 'System')
    assert.equal(await studio.locator('[data-pending]').innerText(), 'none')
    await screenshot(studio, 'system-en-desktop')
    await studio.setViewportSize({ width: 390, height: 844 })
    await screenshot(studio, 'system-en-phone')
    assert.deepEqual(errors, [])
  } finally {
    await browser.close()
    await relais.stop()
  }
})
