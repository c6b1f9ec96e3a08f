// The uploader: Uppy's Dashboard over tus (resumable through Relais), or over
// @uppy/aws-s3 against Relais' Companion-compatible routes when the studio sends bytes
// straight to the bucket. Every setting comes from the page (data-* on #uploader).
import Uppy from '@uppy/core'
import Dashboard from '@uppy/dashboard'
import Tus from '@uppy/tus'
import AwsS3 from '@uppy/aws-s3'
import GoldenRetriever from '@uppy/golden-retriever'
import French from '@uppy/locales/lib/fr_FR.js'
import '@uppy/core/css/style.min.css'
import '@uppy/dashboard/css/style.min.css'
import './uploader.css'
import { api, message, problemText } from './app.js'

const root = document.getElementById('uploader')
if (root) start(root)

function guessCategory(type, name) {
  if (type.startsWith('audio/')) return 'music'
  if (type.startsWith('image/')) return 'photo'
  if (type.startsWith('video/')) return 'video'
  if (/\.(pdf|docx?|odt|txt|rtf|xlsx?|ods|pptx?|key|pages)$/i.test(name)) return 'document'
  return 'other'
}

/// Uppy writes sizes the English way ("12.5 MB"); a French page reads "12,5 Mo".
export function frenchSizes(text) {
  const units = { B: 'o', KB: 'Ko', MB: 'Mo', GB: 'Go', TB: 'To' }
  return text.replace(/(\d+(?:\.\d+)?)\s?(B|KB|MB|GB|TB)\b/g, (_, n, u) => `${n.replace('.', ',')}\u00a0${units[u]}`)
}

/// Rewrites the sizes in every text Uppy puts on the page, as it puts them there.
function localiseSizes(root) {
  const fix = (node) => {
    const fixed = frenchSizes(node.nodeValue)
    if (fixed !== node.nodeValue) node.nodeValue = fixed
  }
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return fix(node)
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT)
    while (walker.nextNode()) fix(walker.currentNode)
  }
  walk(root)
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === 'characterData') fix(change.target)
      change.addedNodes.forEach(walk)
    }
  }).observe(root, { childList: true, subtree: true, characterData: true })
}

function start(root) {
  const cfg = root.dataset
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || ''
  const french = document.documentElement.lang === 'fr'
  const chosen = () => document.querySelector('input[name="category"]:checked')?.value || 'auto'
  const labels = JSON.parse(cfg.categories || '{}')
  const accept = cfg.accept ? JSON.parse(cfg.accept) : null
  // A guest's page carries its link session as a bearer; an account's page its CSRF token.
  const auth = cfg.bearer ? { Authorization: `Bearer ${cfg.bearer}` } : { 'X-CSRF-Token': csrf }

  const uppy = new Uppy({
    id: `relais-${cfg.target}`,
    locale: french ? French : undefined,
    autoProceed: false,
    restrictions: { maxFileSize: Number(cfg.maxSize) || null, allowedFileTypes: accept },
    // Where the files go: { transfer } or, for the portfolio, { album } or { story }.
    meta: JSON.parse(cfg.meta || '{}'),
  })
  if (french) localiseSizes(root)

  // After a reload, the files that were on their way come back as they were (name,
  // progress); selecting them again continues from what the server already has.
  // Only names and progress are kept, never the files' contents (a shared computer keeps
  // nothing of what was sent from it).
  uppy.use(GoldenRetriever, { serviceWorker: false, indexedDB: { maxFileSize: 0, maxTotalSize: 0 } })

  // Leaving while bytes are on their way asks first.
  window.addEventListener('beforeunload', (event) => {
    const sending = uppy.getFiles().some((f) => f.progress?.uploadStarted && !f.progress?.uploadComplete)
    if (sending) {
      event.preventDefault()
      event.returnValue = ''
    }
  })

  // Refusals (too large, wrong kind, the server's reasons) stay on screen until the
  // person closes them, in the page's words.
  const refusals = document.querySelector('[data-refusals]')
  const refuse = (text) => {
    if (!refusals) return
    const line = document.createElement('p')
    line.className = 'refusal'
    const words = document.createElement('span')
    words.textContent = french ? frenchSizes(text) : text
    const close = document.createElement('button')
    close.type = 'button'
    close.className = 'link'
    close.textContent = refusals.dataset.closeLabel || '×'
    close.addEventListener('click', () => line.remove())
    line.append(words, close)
    refusals.append(line)
  }
  uppy.on('restriction-failed', (file, error) => refuse(error?.message || message('generic')))

  // A named batch ("Musique pour le film") becomes a transfer of its own, made when the
  // batch starts; without a name, files go where the page says.
  const batchName = document.querySelector('[data-batch-name]')
  let batchTransfer = null
  if (batchName) {
    uppy.addPreProcessor(async (fileIDs) => {
      const title = batchName.value.trim()
      if (!title) return
      if (!batchTransfer) {
        const answer = await api('POST', '/api/v1/transfers', { title })
        if (!answer.ok) {
          refuse(problemText(answer.body))
          throw new Error(answer.body?.code || 'transfer')
        }
        batchTransfer = answer.body.id
      }
      for (const id of fileIDs) uppy.setFileMeta(id, { transfer: batchTransfer })
    })
  }

  uppy.use(Dashboard, {
    inline: true,
    target: root,
    width: '100%',
    height: 460,
    theme: 'light',
    proudlyDisplayPoweredByUppy: false,
    showProgressDetails: true,
    note: cfg.note || null,
    fileManagerSelectionType: 'files',
    metaFields: [
      {
        id: 'category',
        name: cfg.categoryLabel || 'Category',
        render({ value, onChange }, h) {
          return h(
            'select',
            { class: 'uppy-u-reset uppy-c-textInput', onChange: (e) => onChange(e.target.value) },
            Object.entries(labels).map(([key, label]) => h('option', { value: key, selected: key === value }, label)),
          )
        },
      },
    ],
  })

  if (cfg.mode === 's3') {
    // Companion's routes take the session's CSRF token like every other API write; the
    // plugin has no header option, so its calls to them get it here.
    const plainFetch = window.fetch.bind(window)
    window.fetch = (input, init = {}) => {
      const url = typeof input === 'string' ? input : input.url
      if (new URL(url, window.location.href).pathname.startsWith('/api/v1/s3/')) {
        init = { ...init, headers: { ...(init.headers || {}), 'X-CSRF-Token': csrf }, credentials: 'same-origin' }
      }
      return plainFetch(input, init)
    }
    uppy.use(AwsS3, {
      companionEndpoint: `${window.location.origin}/api/v1`,
      shouldUseMultipart: () => true,
      limit: 4,
    })
  } else {
    uppy.use(Tus, {
      endpoint: '/api/v1/uploads',
      headers: auth,
      chunkSize: Number(cfg.chunkSize) || 16 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
      limit: 4,
      // The fingerprint (name, type, size, date, transfer) is kept in this browser, so
      // selecting the same file after a reload resumes it where the server has it; a file
      // already finished is recognised (the server still answers for it) instead of being
      // sent, and stored, a second time.
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: false,
    })
  }

  uppy.on('file-added', (file) => {
    const picked = chosen()
    const category = picked === 'auto' ? guessCategory(file.type || '', file.name || '') : picked
    uppy.setFileMeta(file.id, { category, size: file.size })
  })

  // A refusal from the server (too large, quota, not allowed) is shown in words, never as
  // the raw response tus-js-client puts in its error message.
  uppy.on('upload-error', (file, error) => {
    if (!file) return
    let problem = null
    try {
      problem = JSON.parse(error?.originalResponse?.getBody?.() || 'null')
    } catch {
      problem = null
    }
    const text = problem?.code
      ? french
        ? message(problem.code, problem.detail)
        : problem.detail || message(problem.code)
      : message('network')
    uppy.setFileState(file.id, { error: text })
    if (problem?.code) refuse(`${file.name} : ${text}`)
  })

  const banner = document.getElementById('upload-done')
  uppy.on('complete', async (result) => {
    if (!result.successful?.length) return
    // On the client's page, the studio is told once per finished batch, for each transfer
    // the files went to: read from the files themselves, so files brought back after a
    // reload (or retried later) still tell their own batch.
    if (cfg.bearer) {
      // A guest's batch: the studio is told once, with what this browser sent.
      try {
        const answer = await fetch('/api/v1/links/current/complete', {
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ locale: french ? 'fr' : 'en' }),
        })
        if (!answer.ok) {
          const problem = await answer.json().catch(() => null)
          refuse(problemText(problem || { code: 'network' }))
          return
        }
      } catch {
        refuse(message('network'))
        return
      }
    } else if (cfg.complete) {
      const fallback = cfg.complete.split('/').slice(-2, -1)[0]
      const targets = new Set(result.successful.map((f) => f.meta?.transfer || fallback))
      for (const transfer of targets) {
        const answer = await api('POST', `/api/v1/transfers/${encodeURIComponent(transfer)}/complete`)
        if (!answer.ok) {
          window.alert(message(answer.body?.code, answer.body?.detail))
          return
        }
      }
    }
    if (batchTransfer) {
      batchTransfer = null
      batchName.value = ''
    }
    if (banner) {
      banner.hidden = false
      banner.focus()
    }
    if (cfg.reloadOnDone) window.setTimeout(() => window.location.reload(), 800)
  })

  window.relaisUppy = uppy
}
