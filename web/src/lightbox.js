// Photo previews in a lightbox: every photo of the page in order, with its name and
// position ("12 / 412"), previous/next by buttons, arrow keys or a swipe, full screen,
// and a download of the original. Audio and video play inline with the browser's controls.
const viewer = document.getElementById('preview')
if (viewer) {
  const links = [...document.querySelectorAll('[data-preview]')]
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
    if (!link || warm.has(index) || link.dataset.preview.includes('/content')) return
    const image = new Image()
    image.decoding = 'async'
    image.src = link.dataset.preview
    warm.set(index, image)
  }

  function show(index) {
    if (links.length === 0) return
    current = (index + links.length) % links.length
    const link = links[current]
    img.src = link.dataset.preview
    img.alt = link.dataset.name || ''
    name.textContent = link.dataset.name || ''
    position.textContent = `${current + 1} / ${links.length}`
    download.href = link.dataset.download || link.dataset.preview
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

  links.forEach((link, index) => {
    link.addEventListener('click', (event) => {
      event.preventDefault()
      open(index)
    })
  })
  // The thumbnail itself opens the same photo.
  document.querySelectorAll('[data-open-preview]').forEach((thumb) => {
    const link = thumb.closest('figure')?.querySelector('[data-preview]')
    const index = links.indexOf(link)
    if (index < 0) return
    thumb.addEventListener('click', (event) => {
      event.preventDefault()
      open(index)
    })
  })
  viewer.querySelector('[data-lb-prev]').addEventListener('click', () => show(current - 1))
  viewer.querySelector('[data-lb-next]').addEventListener('click', () => show(current + 1))
  viewer.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowRight') show(current + 1)
    else if (event.key === 'ArrowLeft') show(current - 1)
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
    if (Math.abs(dx) > 40 && Math.abs(dx) > Math.abs(dy) * 1.5) show(current + (dx < 0 ? 1 : -1))
  })
  viewer.addEventListener('close', () => {
    img.removeAttribute('src')
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {})
  })
  viewer.addEventListener('click', (event) => {
    if (event.target === viewer || event.target === stage) viewer.close()
  })
}
