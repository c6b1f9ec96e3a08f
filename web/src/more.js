// Long galleries a page at a time: the next page's cards are fetched as the reader nears
// the end of the grid (or presses "Show more") and added in place, so a delivery of
// 10 000 photos opens as fast as one of 200. Without a script the link leads to the next
// page itself. Other scripts hear of new cards through a `cards-added` event.
const link = document.querySelector('[data-more]')
const grid = document.querySelector('[data-media]')
// The link's own words, kept before "Loading…" or "could not load" replace them.
const label = link?.textContent
let loading = null
let failed = false

// Fetches the next page's cards and adds them. Resolves to `{ ok, more }`: whether this
// load worked, and whether pages remain after it.
export function loadMore() {
  if (!link || !grid || !link.isConnected) return Promise.resolve({ ok: true, more: false })
  if (loading) return loading
  link.textContent = link.dataset.loading
  link.setAttribute('aria-busy', 'true')
  loading = (async () => {
    try {
      const answer = await fetch(link.getAttribute('href'), { credentials: 'same-origin' })
      if (!answer.ok) throw new Error(`HTTP ${answer.status}`)
      const page = new DOMParser().parseFromString(await answer.text(), 'text/html')
      // A session that ended leads to the login (or PIN) page: that is no last page.
      if (answer.redirected || !page.querySelector('[data-media]')) throw new Error('not a page of this gallery')
      const cards = [...page.querySelectorAll('[data-media] > *')]
      grid.append(...cards)
      const next = page.querySelector('[data-more]')
      if (next) {
        link.setAttribute('href', next.getAttribute('href'))
        link.textContent = label
      } else {
        link.closest('[data-more-row]').remove()
      }
      failed = false
      document.dispatchEvent(new CustomEvent('cards-added', { detail: { cards } }))
      return { ok: true, more: Boolean(next) }
    } catch (error) {
      // Said, and the link stays to try again by hand.
      failed = true
      link.textContent = link.dataset.failed
      console.error('next page', error)
      return { ok: false, more: true }
    } finally {
      link.removeAttribute('aria-busy')
      loading = null
    }
  })()
  return loading
}

if (link && grid) {
  link.addEventListener('click', (event) => {
    event.preventDefault()
    loadMore()
  })
  // Well before the end comes into view, so that scrolling rarely meets the gap.
  const near = () => link.isConnected && Math.abs(link.getBoundingClientRect().top) < window.innerHeight * 3
  if ('IntersectionObserver' in window) {
    const watch = new IntersectionObserver(async (entries) => {
      if (failed || !entries.some((e) => e.isIntersecting)) return
      // A short page (or a tall screen) may still show the end after a load.
      let result = await loadMore()
      while (result.ok && result.more && near()) {
        await new Promise((resolve) => requestAnimationFrame(resolve))
        result = await loadMore()
      }
    }, { rootMargin: '200% 0px 200% 0px' })
    watch.observe(link)
  }
}
