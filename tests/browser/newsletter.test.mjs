// The newsletter from a visitor's side, in a real browser: subscribing at the foot of the
// public site on a phone, the confirmation email's link, the button that confirms (the
// link alone does nothing), and leaving from a letter's own link, in French and English.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { api, apiToken, clientPage, eventually, launchBrowser, linkIn, screenshot, startRelais, studioPage } from './harness.mjs'

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

test('the studio writes a letter, previews it in both languages, tests and sends it', { timeout: 180_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const errors = []
  try {
    const studio = await studioPage(relais, browser)
    studio.on('pageerror', (e) => errors.push(e.message))
    const token = apiToken(relais)
    // Two confirmed subscribers: one through the site, one client's own switch.
    await api(relais, token, 'POST', '/api/v1/newsletter/subscriptions', { email: 'paul@example.fr' })
    const confirm = await relais.waitForMail((m) => m.includes('To: paul@example.fr'))
    const link = linkIn(confirm, '/newsletter/confirm/')
    assert.equal((await fetch(`${relais.base}${link.pathname}`, { method: 'POST' })).status, 200)

    await studio.goto(`${relais.base}/studio/newsletter`)
    assert.equal(await studio.locator('[data-count="confirmed"] strong').innerText(), '1')
    await studio.locator('input[name="subject"]').fill('Les dates 2027')
    await studio.locator('textarea[name="markdown"]').fill('# Bonjour\n\nLes **dates** 2027 sont ouvertes. <script>alert(1)</script>')
    await studio.getByRole('button', { name: 'Nouvelle lettre' }).click()
    await studio.waitForURL(/\/studio\/newsletter\/[0-9a-f-]+$/)
    const fr = studio.frameLocator('iframe[src$="/preview/fr"]')
    await eventually(async () => (await fr.locator('h1').count()) === 1, 'the French preview')
    assert.equal(await fr.locator('h1').innerText(), 'Bonjour')
    assert.equal(await fr.locator('script').count(), 0, 'no script in the letter')
    assert.match(await fr.locator('body').innerText(), /Se désinscrire/)
    const en = studio.frameLocator('iframe[src$="/preview/en"]')
    await eventually(async () => /Unsubscribe/.test(await en.locator('body').innerText()), 'the English preview')
    await studio.locator('iframe[src$="/preview/fr"]').scrollIntoViewIfNeeded()
    await screenshot(studio, 'newsletter-issue-fr-desktop')

    await studio.getByRole('button', { name: /Envoyer un essai/ }).click()
    await relais.waitForMail((m) => m.includes('To: studio@example.fr') && m.includes('[Essai] Les dates 2027'))
    let asked = null
    studio.once('dialog', async (dialog) => {
      asked = dialog.message()
      await dialog.accept()
    })
    await studio.getByRole('button', { name: 'Envoyer à 1 abonné' }).click()
    await eventually(async () => (await studio.locator('[data-state="sent"], [data-state="sending"]').count()) === 1, 'sent')
    assert.match(asked, /Envoyer « Les dates 2027 » à 1 abonné \?/)
    const letter = await relais.waitForMail((m) => m.includes('To: paul@example.fr') && m.includes('Les dates 2027'))
    // In the HTML part the tag is inert text (the text part shows what was typed).
    const html = letter.slice(letter.indexOf('text/html'))
    assert.ok(html.includes('&lt;script&gt;') && !html.includes('<script>'), 'no script element in the HTML part')
    assert.equal(await studio.locator('textarea[name="markdown"]').count(), 0, 'a sent letter is no longer editable')
    await studio.setViewportSize({ width: 390, height: 844 })
    await screenshot(studio, 'newsletter-issue-fr-phone')
    const wide = await studio.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert.ok(wide <= 1, `the letter page scrolls sideways by ${wide}px on a phone`)
    await studio.setViewportSize({ width: 1280, height: 800 })

    // The list: the letter with what became of it, the subscribers, an import.
    await studio.goto(`${relais.base}/studio/newsletter`)
    await eventually(async () => {
      await studio.reload()
      return /envoyées : 1 sur 1/.test(await studio.locator('tr[data-issue]').innerText())
    }, 'the statistics')
    assert.match(await studio.locator('[data-subscribers]').innerText(), /paul@example\.fr[\s\S]*abonné[\s\S]*site/)
    await studio.locator('textarea[name="addresses"]').fill('lea@example.fr\nmarc@example.fr')
    await studio.getByRole('button', { name: 'Demander la confirmation' }).click()
    await eventually(async () => (await studio.getByText('Demandes envoyées.').count()) === 1, 'imported')
    await relais.waitForMail((m) => m.includes('To: marc@example.fr') && m.includes('vous propose'))
    await screenshot(studio, 'newsletter-list-fr-desktop')

    // A client's own switch, on their profile page.
    const { page: client } = await clientPage(relais, browser, { email: 'anne@example.fr', name: 'Anne' })
    client.on('pageerror', (e) => errors.push(e.message))
    await client.goto(`${relais.base}/profile`)
    const box = client.locator('[data-newsletter-switch]')
    assert.match(await box.innerText(), /ne recevez pas/)
    await box.getByRole('button', { name: 'M’abonner' }).click()
    await eventually(async () => /Vous recevez la lettre/.test(await client.locator('[data-newsletter-switch]').innerText()), 'on')
    await screenshot(client, 'newsletter-client-switch-fr-desktop')
    const listed = await api(relais, token, 'GET', '/api/v1/newsletter/subscribers')
    assert.equal(listed.body.subscribers.find((s) => s.email === 'anne@example.fr').source, 'client')
    assert.deepEqual(errors, [], 'no script error')
  } finally {
    await browser.close()
    await relais.stop()
  }
})
