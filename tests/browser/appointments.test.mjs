// Appointments in the pages: the studio adds one on a client's page (local time in Paris)
// and changes it; the client sees it in their space, in their language, downloads its .ics
// and makes their private calendar address, on a desktop and a phone.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { api, apiToken, clientPage, eventually, launchBrowser, screenshot, startRelais, studioPage } from './harness.mjs'

test('the studio adds an appointment and the client adds it to their calendar', { timeout: 180_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const errors = []
  try {
    const studio = await studioPage(relais, browser)
    studio.on('pageerror', (e) => errors.push(e.message))
    const { id: client, page: anne } = await clientPage(relais, browser, { email: 'anne@example.fr', name: 'Anne Dupont' })
    anne.on('pageerror', (e) => errors.push(e.message))

    await studio.goto(`${relais.base}/studio/clients/${client}`)
    await studio.getByText('Ajouter le rendez-vous').first().click()
    const form = studio.locator('form[data-api="/api/v1/appointments"]')
    await form.locator('input[name="kind"]').fill('Essai coiffure')
    await form.locator('input[name="starts_at"]').fill('2027-06-05T15:30')
    await form.locator('input[name="place"]').fill('Salon Rivoli, Paris')
    await form.locator('textarea[name="notes"]').fill('Apporter le voile')
    await form.getByRole('button', { name: 'Ajouter le rendez-vous' }).click()
    await eventually(async () => (await studio.locator('li[data-appointment]').count()) === 1, 'listed')
    assert.match(await studio.locator('li[data-appointment]').innerText(), /Essai coiffure · samedi 5 juin 2027 à 15:30 \(UTC\+2\)/)
    await screenshot(studio, 'appointments-studio-client-fr-desktop')

    // Moved by half an hour from its own form.
    await studio.locator('li[data-appointment] summary').click()
    const edit = studio.locator('li[data-appointment] form')
    assert.equal(await edit.locator('input[name="starts_at"]').inputValue(), '2027-06-05T15:30')
    await edit.locator('input[name="starts_at"]').fill('2027-06-05T16:00')
    await edit.getByRole('button', { name: 'Enregistrer' }).click()
    await eventually(async () => /16:00/.test(await studio.locator('li[data-appointment]').innerText()), 'moved')

    await anne.goto(`${relais.base}/appointments`)
    const card = anne.locator('li[data-appointment]')
    assert.match(await card.innerText(), /Essai coiffure[\s\S]*samedi 5 juin 2027 à 16:00 \(UTC\+2\)[\s\S]*Salon Rivoli/)
    const download = anne.waitForEvent('download')
    await card.getByRole('link', { name: /Ajouter à mon agenda/ }).click()
    const ics = fs.readFileSync(await (await download).path(), 'utf8')
    assert.match(ics, /BEGIN:VCALENDAR/)
    assert.match(ics, /DTSTART:20270605T140000Z/)
    await anne.getByRole('button', { name: 'Créer mon adresse d’agenda' }).click()
    const feed = anne.locator('[data-feed-url]')
    await eventually(async () => (await feed.inputValue()).includes('/calendar/'), 'the feed address')
    const url = new URL(await feed.inputValue())
    const fetched = await fetch(`${relais.base}${url.pathname}`)
    assert.equal(fetched.status, 200)
    assert.match(await fetched.text(), /SUMMARY:Essai coiffure/)
    await screenshot(anne, 'appointments-client-fr-desktop')
    await anne.setViewportSize({ width: 390, height: 844 })
    await screenshot(anne, 'appointments-client-fr-phone')
    const wide = await anne.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert.ok(wide <= 1, `the page scrolls sideways by ${wide}px on a phone`)

    // In English, the same appointment in English words.
    const token = apiToken(relais, 'anne@example.fr')
    assert.equal((await api(relais, token, 'PATCH', '/api/v1/me', { locale: 'en' })).status, 200)
    await anne.goto(`${relais.base}/appointments`)
    assert.match(await anne.locator('li[data-appointment]').innerText(), /Saturday 5 June 2027, 16:00 \(UTC\+2\)/)
    assert.ok(await anne.getByRole('heading', { name: 'Appointments', exact: true }).isVisible())
    await screenshot(anne, 'appointments-client-en-phone')
    assert.deepEqual(errors, [], 'no script error')
  } finally {
    await browser.close()
    await relais.stop()
  }
})
