// The small scripts every page shares: forms that talk to the JSON API and show its
// field errors, the language switch, logout, local times, confirmations, photo previews.
import './app.css'
import './lightbox.js'
import './picks.js'
import './more.js'

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || ''
const messages = JSON.parse(document.getElementById('messages')?.textContent || '{}')
const lang = document.documentElement.lang || 'fr'

export function message(code, fallback) {
  return messages[code] || fallback || messages.generic || 'Error'
}

/// A problem's words; a throttled request says how long to wait.
export function problemText(problem) {
  const wait = problem?.retry_after
  if (problem?.code === 'rate_limited' && wait > 0 && messages.rate_limited_wait) {
    const n = wait < 90 ? wait : Math.ceil(wait / 60)
    const unit = (wait < 90 ? messages.wait_seconds : messages.wait_minutes).replace('{n}', n)
    return messages.rate_limited_wait.replace('{wait}', unit)
  }
  return message(problem?.code, problem?.detail)
}

/// Calls the API as the page's user; resolves to { ok, status, body }.
export async function api(method, url, body) {
  const headers = { Accept: 'application/json' }
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf()
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  let response
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    })
  } catch {
    return { ok: false, status: 0, body: { code: 'network' } }
  }
  let parsed = null
  try {
    parsed = await response.json()
  } catch {
    parsed = null
  }
  return { ok: response.ok, status: response.status, body: parsed }
}

function fieldsOf(form) {
  const data = {}
  const lists = {}
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue
    if (el.dataset.list !== undefined) {
      // Several inputs of one name make a list: the ticked boxes (and hidden values).
      lists[el.name] ||= { values: [], optional: el.dataset.listOptional !== undefined }
      if (el.type !== 'checkbox' || el.checked) lists[el.name].values.push(el.value)
    } else if (el.type === 'checkbox') {
      data[el.name] = el.checked
    } else if (el.dataset.type === 'date-ms') {
      // A calendar day means "until the end of that day", in the reader's time zone.
      data[el.name] = el.value ? new Date(`${el.value}T23:59:59`).getTime() : null
    } else if (el.dataset.type === 'gb-bytes') {
      // Sizes are read in GB as the pages show them (10⁹ bytes); empty means none.
      // What is not a number goes as typed, for the server to name the field.
      const n = Number(el.value.replace(',', '.'))
      data[el.name] = el.value.trim() === '' ? null : Number.isFinite(n) ? Math.round(n * 1e9) : el.value
    } else if (el.dataset.type === 'int') {
      const n = Number(el.value)
      if (el.value.trim() !== '') data[el.name] = Number.isFinite(n) ? n : el.value
    } else if (el.dataset.type === 'name-numbers') {
      // "Album = 60" per line: { "Album": 60 }.
      const map = {}
      for (const line of el.value.split('\n')) {
        const at = line.lastIndexOf('=')
        if (at < 0) continue
        const name = line.slice(0, at).trim()
        const n = Number(line.slice(at + 1).trim())
        if (name) map[name] = n
      }
      data[el.name] = map
    } else if (el.dataset.optional !== undefined && el.value.trim() === '') {
      continue
    } else {
      data[el.name] = el.value
    }
  }
  for (const [name, list] of Object.entries(lists)) {
    if (list.optional && list.values.length === 0) continue
    data[name] = list.values
  }
  return data
}

function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => {
    e.hidden = true
    e.textContent = ''
  })
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'))
  const general = form.querySelector('.form-error')
  if (general) general.hidden = true
}

/// Shows a problem+json answer: each listed field under its input; problems about
/// something the form has no field for (publishing an empty delivery) on top, in their
/// own words, never as "check the fields marked" with nothing marked.
export function showProblem(form, problem) {
  const general = form.querySelector('.form-error')
  // French pages show our own words; English pages the server's, which are English.
  const words = (err) => (lang === 'fr' ? message(`field.${err.field}`, err.message) : err.message)
  let placed = false
  const elsewhere = []
  for (const err of problem?.errors || []) {
    const input = form.querySelector(`[name="${CSS.escape(err.field)}"]`)
    const slot = input?.closest('.field')?.querySelector('.field-error')
    if (!input || !slot) {
      elsewhere.push(words(err))
      continue
    }
    input.setAttribute('aria-invalid', 'true')
    slot.textContent = words(err)
    slot.hidden = false
    if (!placed) input.focus()
    placed = true
  }
  if (general && (elsewhere.length > 0 || !placed)) {
    general.textContent = elsewhere.length > 0 ? elsewhere.join(' ') : problemText(problem)
    general.hidden = false
  }
}

async function submit(form, event) {
  event.preventDefault()
  clearErrors(form)
  const button = form.querySelector('[type="submit"]')
  if (button) button.disabled = true
  const answer = await api(form.dataset.method || 'POST', form.dataset.api, fieldsOf(form))
  if (button) button.disabled = false
  if (answer.ok) {
    const after = afterSuccess[form.dataset.onSuccess]
    if (after) {
      after(form, answer.body, fieldsOf(form))
    } else if (form.dataset.done) {
      const done = form.querySelector('.form-done')
      done.textContent = form.dataset.done
      done.hidden = false
      form.reset()
    } else if (form.dataset.redirect) {
      // "{id}" in the target stands for the id of what the call created.
      window.location.assign(form.dataset.redirect.replace('{id}', encodeURIComponent(answer.body?.id || '')))
    } else {
      window.location.reload()
    }
    return
  }
  // Studio accounts (and clients who enrolled) are asked for their second factor, once
  // their password is accepted. The setup page's form has its code field always shown.
  const totp = form.querySelector('[data-totp]')
  if (totp && form.hasAttribute('data-login') && ['totp_required', 'totp_invalid'].includes(answer.body?.code)) {
    totp.hidden = false
    totp.querySelector('input').focus()
  }
  const problem = answer.body || { code: 'generic' }
  // A code that the server judged wrong belongs under the code field when there is one.
  if (problem.code === 'totp_invalid' && form.elements.totp && !problem.errors) {
    problem.errors = [{ field: 'totp', message: message('totp_invalid', problem.detail) }]
  }
  showProblem(form, problem)
}

function showEnrolment(step, body) {
  // The SVG is Relais' own rendering of the otpauth URI (no user input in it).
  step.querySelector('[data-qr]').innerHTML = body.qr_svg || ''
  step.querySelector('[data-secret]').textContent = body.totp_secret
}

function listCodes(list, codes) {
  for (const code of codes) {
    const item = document.createElement('li')
    item.textContent = code
    list.append(item)
  }
}

// Steps that continue on the same page after a form succeeds.
const afterSuccess = {
  // Appointments: the new calendar feed address, shown this once.
  showFeed(source, body) {
    const step = document.querySelector('[data-step="feed"]')
    step.querySelector('[data-feed-url]').value = body.url
    step.hidden = false
    step.querySelector('[data-feed-url]').select()
  },
  // A letter drafted from elsewhere (an album's announcement): open it to finish it.
  openIssue(source, body) {
    window.location.assign(`/studio/newsletter/${encodeURIComponent(body.id)}`)
  },
  // Saved in place (captions): the inputs keep what was typed.
  saved(form) {
    form.querySelector('.inline-ok')?.remove()
    const status = document.createElement('span')
    status.className = 'inline-ok'
    status.setAttribute('role', 'status')
    status.textContent = '✓'
    form.append(status)
  },
  // A guest's link: its address and QR code, shown this once.
  linkMade(form, body) {
    const step = document.querySelector('[data-step="link-made"]')
    step.querySelector('[data-link-url]').value = body.url
    // The SVG is Relais' own rendering of the URL (no user input in it).
    step.querySelector('[data-link-qr]').innerHTML = body.qr_svg || ''
    step.hidden = false
    form.closest('details')?.removeAttribute('open')
    form.reset()
    step.querySelector('[data-link-url]').select()
  },
  // Integrations: a new or rotated secret, shown this once.
  secret(source, body) {
    const step = document.querySelector('[data-step="secret"]')
    step.querySelector('[data-secret-out]').textContent = body.secret
    step.hidden = false
    step.scrollIntoView({ block: 'center' })
    if (source.tagName === 'FORM') source.reset()
  },
  // Profile: a client turns two-step verification on, confirming with a first code.
  totpStart(form, body) {
    document.querySelector('[data-step="totp-off"]').hidden = true
    const step = document.querySelector('[data-step="totp"]')
    showEnrolment(step, body)
    step.hidden = false
    step.querySelector('input[name="totp"]').focus()
  },
  totpDone(form, body) {
    document.querySelector('[data-step="totp"]').hidden = true
    const done = document.querySelector('[data-step="totp-done"]')
    listCodes(done.querySelector('[data-codes]'), body.recovery_codes)
    done.hidden = false
  },
  // First run: the account exists; show its TOTP enrolment and recovery codes, then log
  // in with the first code, which confirms the enrolment.
  setup(form, body, fields) {
    const step = document.querySelector('[data-step="totp"]')
    document.querySelector('[data-step="account"]').hidden = true
    showEnrolment(step, body)
    listCodes(step.querySelector('[data-codes]'), body.recovery_codes)
    const login = step.querySelector('form')
    login.elements.email.value = fields.email
    login.elements.password.value = fields.password
    step.hidden = false
    login.elements.totp.focus()
  },
}

document.querySelectorAll('form[data-api]').forEach((form) => {
  form.addEventListener('submit', (event) => submit(form, event))
})

// Buttons that make one API call: data-action="METHOD /url", optional JSON body and
// confirmation. One listener for the page, so that cards loaded later have theirs too.
document.addEventListener('click', async (event) => {
  const button = event.target.closest('[data-action]')
  if (!button || button.disabled) return
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return
  const [method, url] = button.dataset.action.split(' ')
  const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined
  button.disabled = true
  const answer = await api(method, url, body)
  button.disabled = false
  if (answer.ok) {
    const after = afterSuccess[button.dataset.onSuccess]
    if (after) {
      after(button, answer.body)
    } else if (button.dataset.then) {
      window.location.assign(button.dataset.then)
    } else if (button.dataset.done) {
      const status = document.createElement('span')
      status.className = 'inline-ok'
      status.setAttribute('role', 'status')
      status.textContent = button.dataset.done
      button.after(status)
    } else {
      window.location.reload()
    }
  } else {
    window.alert(message(answer.body?.code, answer.body?.detail))
  }
})

// Lists the studio orders with up/down buttons: the row moves at once, then the whole
// order is saved (the API takes every id, so the saved order is exactly what is shown;
// a list shown a page at a time, `data-order-partial`, sends the files loaded so far,
// which come first in that order, the others keeping theirs after them).
document.querySelectorAll('[data-order]').forEach((list) => {
  list.addEventListener('click', async (event) => {
    const button = event.target.closest('[data-move]')
    if (!button) return
    const row = button.closest('[data-id]')
    const up = button.dataset.move === 'up'
    const neighbour = up ? row.previousElementSibling : row.nextElementSibling
    if (!neighbour) return
    if (up) neighbour.before(row)
    else neighbour.after(row)
    button.focus()
    // One save at a time, each with the order shown when it leaves: quick clicks end with
    // the last order saved, never an older one arriving late.
    list.saving = (list.saving || Promise.resolve()).then(async () => {
      const ids = [...list.children].map((r) => r.dataset.id).filter(Boolean)
      const body = { [list.dataset.orderKey]: ids }
      if ('orderPartial' in list.dataset) body.partial = true
      const answer = await api('PUT', list.dataset.order, body)
      // Every file now has its place after the loaded ones: the next page starts there.
      const more = document.querySelector('[data-more]')
      if (answer.ok && more && answer.body && 'next_cursor' in answer.body) {
        const next = new URL(more.getAttribute('href'), window.location.href)
        if (answer.body.next_cursor) next.searchParams.set('after', answer.body.next_cursor)
        more.setAttribute('href', next.pathname + next.search)
      }
      if (!answer.ok) {
        window.alert(message(answer.body?.code, answer.body?.detail))
        window.location.reload()
      }
    })
  })
})

// A file sent as it is to replace what the page shows (a video's poster, the studio's logo).
document.querySelectorAll('input[data-put-file]').forEach((input) => {
  input.addEventListener('change', async () => {
    const file = input.files?.[0]
    if (!file) return
    let response
    try {
      response = await fetch(input.dataset.putFile, {
        method: 'PUT',
        headers: { 'X-CSRF-Token': csrf(), 'Content-Type': file.type || 'application/octet-stream' },
        body: file,
        credentials: 'same-origin',
      })
    } catch {
      window.alert(message('network'))
      return
    }
    if (response.ok) {
      window.location.reload()
    } else {
      const problem = await response.json().catch(() => null)
      window.alert(message(problem?.code, problem?.detail))
    }
  })
})

// Phones: the signed-in navigation folds behind a "Menu" button.
document.querySelectorAll('[data-menu-toggle]').forEach((button) => {
  const bar = button.closest('[data-topbar]')
  button.addEventListener('click', () => {
    const open = bar.classList.toggle('open')
    button.setAttribute('aria-expanded', String(open))
  })
})

document.querySelectorAll('[data-logout]').forEach((button) => {
  button.addEventListener('click', async () => {
    await api('DELETE', '/api/v1/session')
    window.location.assign('/login')
  })
})

document.querySelectorAll('[data-lang]').forEach((button) => {
  button.addEventListener('click', async () => {
    const wanted = button.dataset.lang
    document.cookie = `relais_lang=${wanted}; path=/; max-age=31536000; samesite=lax`
    if (button.dataset.signedIn) await api('PATCH', '/api/v1/me', { locale: wanted })
    window.location.reload()
  })
})

// Times are rendered in UTC by the server; show them in the reader's own zone, the way
// the server writes them: "5 décembre 2026 à 21:21", and in English the British way for a
// European studio, "5 December 2026, 21:21".
const locale = lang === 'en' ? 'en-GB' : 'fr-FR'
const dateOnly = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: 'numeric' })
const timeOnly = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
const joiner = lang === 'en' ? ', ' : ' à '
document.querySelectorAll('time[datetime]').forEach((el) => {
  const when = new Date(el.getAttribute('datetime'))
  if (!Number.isNaN(when.getTime())) {
    const day = dateOnly.format(when)
    el.textContent = el.dataset.day !== undefined ? day : `${day}${joiner}${timeOnly.format(when)}`
  }
})

document.querySelectorAll('[data-reload]').forEach((button) => {
  button.addEventListener('click', () => window.location.reload())
})
