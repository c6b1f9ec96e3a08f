// Photo previews in a lightbox: every photo of the page in order, with its name and
// position ("12 / 412"), previous/next by buttons, arrow keys or a swipe, full screen,
// and a download of the original. Audio and video play inline with the browser's controls.
// In a gallery shown a page at a time, stepping past the last photo loaded loads the next
// page first.
import { loadMore } from './more.js'

const viewer = document.getElementById('preview')
if (viewer) {
  // The photos loaded so far, in order (pages add more as the reader goes).
  let links = [...document.querySelectorAll('[data-preview]')]
  document.addEventListener('cards-added', () => {
    links = [...document.querySelectorAll('[data-preview]')]
  })
  const img = viewer.querySelector('img')
  const position = viewer.querySelector('[data-lb-position]')
  const name = viewer.querySelector('[data-lb-name]')
  const download = viewer.querySelector('[data-lb-download]')
  let current = -1
  const warm = new Map()

  // The neighbours load while this one is looked at, so the next step shows at once.
  function preload(index) {
    const link = links[index]
    // Only web sizes are fetched ahead: an original would count as a download.
    if (!link || warm.has(index) || link.getAttribute('href').includes('/content')) return
    const image = new Image()
    image.decoding = 'async'
    image.src = link.getAttribute('href')
    warm.set(index, image)
  }

  // Past the last photo loaded while more pages remain: load them, then step on.
  async function step(by) {
    if (current + by >= links.length && document.querySelector('[data-more]')) {
      const before = links.length
      // Pages without photos are passed; a page that fails to load stops here.
      for (let tries = 0; tries < 20 && links.length === before; tries++) {
        const result = await loadMore()
        if (!result.ok || !result.more) break
      }
      if (links.length > before) return show(current + by)
    }
    show(current + by)
  }

  function show(index) {
    if (links.length === 0) return
    current = (index + links.length) % links.length
    const link = links[current]
    img.src = link.getAttribute('href')
    img.alt = link.dataset.name || ''
    name.textContent = link.dataset.name || ''
    // While pages remain, the count is of the photos loaded so far: "12 / 200+".
    const more = document.querySelector('[data-more]') ? '+' : ''
    position.textContent = `${current + 1} / ${links.length}${more}`
    download.href = link.dataset.download || link.getAttribute('href')
    download.hidden = !link.dataset.download
    // Which file is shown, for the favourites' heart.
    viewer.dataset.file = link.closest('figure')?.dataset.file || ''
    viewer.dispatchEvent(new Event('lb-show'))
    viewer.classList.toggle('single', links.length === 1)
    preload(current + 1)
    preload(current - 1)
  }

  function open(index) {
    show(index)
    if (!viewer.open) viewer.showModal()
  }

  // One listener for every card, those loaded later included: a preview link, or the
  // thumbnail itself, opens its photo.
  document.addEventListener('click', (event) => {
    const target = event.target.closest('[data-preview], [data-open-preview]')
    if (!target || viewer.contains(target)) return
    const link = target.matches('[data-preview]') ? target : target.closest('figure')?.querySelector('[data-preview]')
    const index = links.indexOf(link)
    if (index < 0) return
    event.preventDefault()
    open(index)
  })
  viewer.querySelector('[data-lb-prev]').addEventListener('click', () => step(-1))
  viewer.querySelector('[data-lb-next]').addEventListener('click', () => step(1))
  viewer.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowRight') step(1)
    else if (event.key === 'ArrowLeft') step(-1)
    else return
    event.preventDefault()
  })
  const fullscreen = viewer.querySelector('[data-lb-fullscreen]')
  if (!viewer.requestFullscreen) fullscreen.hidden = true
  fullscreen.addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen()
    else viewer.requestFullscreen().catch(() => {})
  })
  // A horizontal swipe on a phone steps; a mostly vertical one is left to the page.
  let touch = null
  const stage = viewer.querySelector('[data-lb-stage]')
  stage.addEventListener('touchstart', (event) => {
    const t = event.changedTouches[0]
    touch = { x: t.clientX, y: t.clientY }
  }, { passive: true })
  stage.addEventListener('touchend', (event) => {
    if (!touch) return
    const t = event.changedTouches[0]
    const dx = t.clientX - touch.x
    const dy = t.clientY - touch.y
    touch = null
    if (Math.abs(dx) > 40 && Math.abs(dx) > Math.abs(dy) * 1.5) step(dx < 0 ? 1 : -1)
  })
  viewer.addEventListener('close', () => {
    img.removeAttribute('src')
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {})
  })
  viewer.addEventListener('click', (event) => {
    if (event.target === viewer || event.target === stage) viewer.close()
  })
}
