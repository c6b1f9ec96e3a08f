// The newsletter from a visitor's side, in a real browser: subscribing at the foot of the
// public site on a phone, the confirmation email's link, the button that confirms (the
// link alone does nothing), and leaving from a letter's own link, in French and English.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { api, apiToken, eventually, launchBrowser, linkIn, screenshot, startRelais, studioPage } from './harness.mjs'

test('a visitor subscribes on a phone, confirms, and leaves from the letter', { timeout: 180_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const errors = []
  try {
    await studioPage(relais, browser)
    const token = apiToken(relais)
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } })
    phone.on('pageerror', (e) => errors.push(e.message))
    await phone.goto(`${relais.base}/`)
    const footer = phone.locator('.site-footer form.subscribe')
    assert.ok(await footer.isVisible(), 'the form at the foot of the home page')
    await footer.locator('input[name="email"]').fill('camille@example.fr')
    await screenshot(phone, 'newsletter-footer-fr-phone')
    await footer.getByRole('button', { name: 'S’inscrire' }).click()
    await phone.waitForURL(`${relais.base}/newsletter?sent=1`)
    assert.match(await phone.getByRole('status').innerText(), /e-mail de confirmation vient de partir/)
    const wide = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert.ok(wide <= 1, `the page scrolls sideways by ${wide}px`)
    await screenshot(phone, 'newsletter-sent-fr-phone')

    const mail = await relais.waitForMail((m) => m.includes('To: camille@example.fr') && m.includes('Confirmez'))
    const link = linkIn(mail, '/newsletter/confirm/')
    await phone.goto(`${relais.base}${link.pathname}`)
    assert.match(await phone.locator('main').innerText(), /camille@example\.fr/)
    const before = await api(relais, token, 'GET', '/api/v1/newsletter/subscribers')
    assert.equal(before.body.subscribers[0].status, 'pending', 'opening the link confirms nothing')
    await screenshot(phone, 'newsletter-confirm-fr-phone')
    await phone.getByRole('button', { name: 'Je confirme' }).click()
    await eventually(async () => (await phone.locator('[data-newsletter="confirmed"]').count()) === 1, 'confirmed page')
    const after = await api(relais, token, 'GET', '/api/v1/newsletter/subscribers')
    assert.equal(after.body.subscribers[0].status, 'confirmed')

    // A letter goes out; its footer link leads to a page with one button.
    const issue = await api(relais, token, 'POST', '/api/v1/newsletter/issues', {
      subject: 'Nouvelles du studio',
      markdown: 'Les **dates** de 2027 sont ouvertes.',
    })
    assert.equal(issue.status, 201)
    assert.equal((await api(relais, token, 'POST', `/api/v1/newsletter/issues/${issue.body.id}/send`)).status, 202)
    const letter = await relais.waitForMail((m) => m.includes('To: camille@example.fr') && m.includes('Nouvelles du studio'))
    const leave = linkIn(letter, '/newsletter/unsubscribe/')
    await phone.goto(`${relais.base}${leave.pathname}`)
    await screenshot(phone, 'newsletter-unsubscribe-fr-phone')
    await phone.getByRole('button', { name: 'Me désinscrire' }).click()
    await eventually(async () => (await phone.locator('[data-newsletter="unsubscribed"]').count()) === 1, 'left')
    assert.match(await phone.getByRole('status').innerText(), /camille@example\.fr ne recevra plus/)

    // The English page of the site, on a desktop.
    const desk = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    desk.on('pageerror', (e) => errors.push(e.message))
    await desk.goto(`${relais.base}/en/newsletter`)
    assert.ok(await desk.getByRole('heading', { name: 'Newsletter' }).isVisible())
    await desk.locator('main input[name="email"]').fill('not an address@')
    await desk.locator('main form').evaluate((f) => f.setAttribute('novalidate', ''))
    await desk.getByRole('main').getByRole('button', { name: 'Subscribe' }).click()
    assert.match(await desk.getByRole('alert').innerText(), /does not look valid/)
    await screenshot(desk, 'newsletter-error-en-desktop')
    assert.deepEqual(errors, [], 'no script error')
  } finally {
    await browser.close()
    await relais.stop()
  }
})
