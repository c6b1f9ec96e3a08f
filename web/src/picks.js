// Favourites in named lists, on a delivery's page (the client's, or a guest's whose link
// allows it): a heart on each file and in the full-screen preview, the list picked in a
// menu ("Favoris", the studio's lists such as "Album", or a new one), the count against
// the studio's limit, and "Envoyer ma sélection". Every change is saved at once; the
// page shows what the server answered, never what it hoped.
import { api, message } from './app.js'

const bar = document.querySelector('[data-picks]')
if (bar) start(bar)

function start(bar) {
  const data = JSON.parse(bar.dataset.lists)
  const lists = new Map()
  for (const list of data.lists) {
    lists.set(list.name, { files: new Set(list.files), limit: list.limit, submitted: list.submitted })
  }
  const limits = data.limits || {}
  // The studio's named lists are offered before anyone marked in them.
  for (const [name, limit] of Object.entries(limits)) {
    if (!lists.has(name)) lists.set(name, { files: new Set(), limit, submitted: false })
  }
  if (!lists.has(data.default)) lists.set(data.default, { files: new Set(), limit: limits[data.default] ?? null, submitted: false })

  const select = bar.querySelector('[data-pick-list]')
  const count = bar.querySelector('[data-pick-count]')
  const submit = bar.querySelector('[data-pick-submit]')
  const state = bar.querySelector('[data-pick-state]')
  const NEW = '\u0000new'
  let current = data.lists.find((l) => !l.submitted)?.name || data.default

  function fillSelect() {
    select.replaceChildren()
    for (const name of lists.keys()) select.append(new Option(name, name, false, name === current))
    select.append(new Option(bar.dataset.newLabel, NEW))
  }

  function refresh() {
    const list = lists.get(current)
    const n = list.files.size
    count.textContent = list.limit
      ? bar.dataset.countLimit.replace('{n}', n).replace('{max}', list.limit)
      : `${n} ♥`
    count.classList.toggle('full', Boolean(list.limit) && n >= list.limit)
    submit.disabled = list.submitted || n === 0
    state.textContent = list.submitted ? bar.dataset.submitted : ''
    for (const button of document.querySelectorAll('[data-fav]')) paint(button, list.files.has(button.dataset.fav), list.submitted)
    const lb = document.querySelector('[data-lb-fav]')
    const viewer = document.getElementById('preview')
    if (lb && viewer?.dataset.file) paint(lb, list.files.has(viewer.dataset.file), list.submitted)
  }

  function paint(button, on, locked) {
    button.setAttribute('aria-pressed', String(on))
    const words = on ? bar.dataset.remove : bar.dataset.add
    const name = button.closest('figure')?.querySelector('.name')?.textContent
    button.setAttribute('aria-label', name ? `${words} : ${name}` : words)
    button.title = words
    button.disabled = locked
  }

  async function toggle(file, button) {
    const list = lists.get(current)
    const on = !list.files.has(file)
    button.disabled = true
    const answer = await api(on ? 'PUT' : 'DELETE', `/api/v1/files/${encodeURIComponent(file)}/favourite`, { list: current })
    button.disabled = false
    if (!answer.ok) {
      window.alert(message(answer.body?.code, answer.body?.detail))
      return
    }
    if (on) list.files.add(file)
    else list.files.delete(file)
    list.limit = answer.body.limit ?? list.limit
    refresh()
  }

  select.addEventListener('change', () => {
    if (select.value === NEW) {
      const name = (window.prompt(bar.dataset.newPrompt) || '').trim()
      if (name && !lists.has(name)) lists.set(name, { files: new Set(), limit: limits[name] ?? null, submitted: false })
      if (name) current = name
      fillSelect()
    } else {
      current = select.value
    }
    refresh()
  })

  document.addEventListener('click', (event) => {
    const button = event.target.closest('[data-fav]')
    if (button) {
      event.preventDefault()
      toggle(button.dataset.fav, button)
      return
    }
    const lb = event.target.closest('[data-lb-fav]')
    const file = document.getElementById('preview')?.dataset.file
    if (lb && file) toggle(file, lb)
  })
  // The preview tells which file it shows; its heart follows.
  document.getElementById('preview')?.addEventListener('lb-show', refresh)
  // Cards of a gallery's next page get their hearts painted too.
  document.addEventListener('cards-added', refresh)

  submit.addEventListener('click', async () => {
    if (!window.confirm(bar.dataset.submitConfirm.replace('{list}', current))) return
    submit.disabled = true
    const answer = await api('POST', `/api/v1/transfers/${encodeURIComponent(bar.dataset.transfer)}/selection/submit`, { list: current })
    if (!answer.ok) {
      submit.disabled = false
      window.alert(message(answer.body?.code, answer.body?.detail))
      return
    }
    lists.get(current).submitted = true
    refresh()
  })

  fillSelect()
  refresh()
}
