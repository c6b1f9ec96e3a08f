// Deleting as the studio does it in the pages: the button asks first, naming what goes
// (the transfer, its files and their size), the transfer leaves the client's page, the
// trash lists it, and restoring brings it back. French and English, desktop and phone.
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

test('the studio deletes a delivery from its page and restores it from the trash', { timeout: 180_000 }, async () => {
  const relais = await startRelais()
  const browser = await launchBrowser()
  const errors = []
  try {
    const studio = await studioPage(relais, browser, 'atelier@example.fr')
    studio.on('pageerror', (e) => errors.push(e.message))
    const token = apiToken(relais, 'atelier@example.fr')
    const { id: client } = await clientPage(relais, browser, { email: 'anne@example.fr', name: 'Anne Dupont' })
    const made = await api(relais, token, 'POST', '/api/v1/transfers', {
      title: 'Photos du mariage',
      direction: 'delivery',
      client,
    })
    const delivery = made.body.id
    await tusUpload(relais, token, delivery, 'photo-1.jpg', jpeg(640, 480, 'red'))
    await tusUpload(relais, token, delivery, 'photo-2.jpg', jpeg(640, 480, 'blue'))
    await eventually(async () => {
      const shown = await api(relais, token, 'GET', `/api/v1/transfers/${delivery}`)
      return shown.body.files.every((f) => f.status === 'ready')
    }, 'the photos processed')

    await studio.goto(`${relais.base}/studio/transfers/${delivery}`)
    let asked = null
    studio.once('dialog', async (dialog) => {
      asked = dialog.message()
      await dialog.accept()
    })
    await studio.getByRole('button', { name: 'Mettre à la corbeille' }).click()
    await studio.waitForURL(`${relais.base}/studio/clients/${client}`)
    assert.match(asked, /Mettre « Photos du mariage » à la corbeille, avec 2 fichiers \(.+\)/)
    assert.equal(await studio.getByText('Photos du mariage').count(), 0, 'gone from the client page')

    // The quota, in GB as the pages show sizes: set, shown, and enforced by the API.
    await studio.locator('form[data-quota] input[name="quota"]').fill('0.5')
    await studio.locator('form[data-quota] button[type="submit"]').click()
    await eventually(async () => (await studio.locator('form[data-quota]').innerText()).includes('500'), 'the quota shown')
    await screenshot(studio, 'client-quota-fr-desktop')
    const anneToken = apiToken(relais, 'anne@example.fr')
    const tooBig = await fetch(`${relais.base}/api/v1/uploads`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${anneToken}`, 'Tus-Resumable': '1.0.0', 'Upload-Length': String(600 * 1024 * 1024) },
    })
    assert.equal(tooBig.status, 413, 'past the quota, refused before any byte')

    await studio.goto(`${relais.base}/studio/trash`)
    const row = studio.locator('tr[data-trash]')
    assert.equal(await row.count(), 1)
    assert.match(await row.innerText(), /Transfert[\s\S]*Photos du mariage[\s\S]*2 fichiers/)
    await screenshot(studio, 'trash-fr-desktop')
    await studio.setViewportSize({ width: 390, height: 844 })
    await screenshot(studio, 'trash-fr-phone')
    const wide = await studio.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert.ok(wide <= 1, `the trash scrolls sideways by ${wide}px on a phone`)
    await studio.setViewportSize({ width: 1280, height: 800 })

    await studio.getByRole('button', { name: 'Restaurer' }).click()
    await eventually(async () => (await studio.locator('tr[data-trash]').count()) === 0, 'the row gone after restoring')
    assert.ok(await studio.getByText('La corbeille est vide.').isVisible())
    await studio.goto(`${relais.base}/studio/transfers/${delivery}`)
    assert.equal(await studio.locator('.file-grid .file-card').count(), 2, 'back with both photos')
    await screenshot(studio, 'transfer-with-delete-fr-desktop')

    await studio.goto(`${relais.base}/studio`)
    assert.equal(await studio.locator('[data-backups="warn"]').count(), 1, 'no backup configured: amber')
    assert.match(await studio.locator('[data-storage]').innerText(), /Disque[\s\S]*libres sur[\s\S]*Photos[\s\S]*Dans la corbeille/)
    await screenshot(studio, 'dashboard-backups-fr-desktop')

    // Deleted again, then erased at once from the trash, asked first.
    assert.equal((await api(relais, token, 'DELETE', `/api/v1/transfers/${delivery}`)).status, 204)
    await studio.goto(`${relais.base}/studio/trash`)
    let erase = null
    studio.once('dialog', async (dialog) => {
      erase = dialog.message()
      await dialog.accept()
    })
    await studio.getByRole('button', { name: 'Effacer', exact: true }).click()
    await eventually(async () => (await studio.locator('tr[data-trash]').count()) === 0, 'the row gone after erasing')
    assert.match(erase, /Effacer définitivement « Photos du mariage » et 2 fichiers \(.+\) maintenant \?/)
    assert.equal((await api(relais, token, 'GET', `/api/v1/transfers/${delivery}`)).status, 404)

    // The same page in English.
    const me = await api(relais, token, 'PATCH', '/api/v1/me', { locale: 'en' })
    assert.equal(me.status, 200)
    await studio.goto(`${relais.base}/studio/trash`)
    assert.ok(await studio.getByRole('heading', { name: 'Trash' }).isVisible())
    assert.ok(await studio.getByText('The trash is empty.').isVisible())
    await screenshot(studio, 'trash-en-desktop')
    assert.deepEqual(errors, [], 'no script error')
  } finally {
    await browser.close()
    await relais.stop()
  }
})
