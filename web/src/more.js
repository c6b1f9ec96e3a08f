// Long galleries a page at a time: the next page's cards are fetched as the reader nears
// the end of the grid (or presses "Show more") and added in place, so a delivery of
// 10 000 photos opens as fast as one of 200. Without a script the link leads to the next
// page itself. Other scripts hear of new cards through a `cards-added` event.
const link = document.querySelector('[data-more]')
const grid = document.querySelector('[data-media]')

let loading = null

// Fetches the next page's cards and adds them; resolves to true while more remain.
export function loadMore() {
  if (!link || !grid || !link.isConnected) return Promise.resolve(false)
  if (loading) return loading
  const label = link.textContent
  link.textContent = link.dataset.loading
  link.setAttribute('aria-busy', 'true')
  loading = (async () => {
    try {
      const answer = await fetch(link.getAttribute('href'), { credentials: 'same-origin' })
      if (!answer.ok) throw new Error(`HTTP ${answer.status}`)
      const page = new DOMParser().parseFromString(await answer.text(), 'text/html')
      const cards = [...page.querySelectorAll('[data-media] > *')]
      grid.append(...cards)
      const next = page.querySelector('[data-more]')
      if (next) {
        link.setAttribute('href', next.getAttribute('href'))
        link.textContent = label
      } else {
        link.closest('[data-more-row]').remove()
      }
      document.dispatchEvent(new CustomEvent('cards-added', { detail: { cards } }))
      return Boolean(next)
    } catch (error) {
      // Said, and the link stays to try again.
      link.textContent = link.dataset.failed
      console.error('next page', error)
      return true
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
  const near = () => link.isConnected && link.getBoundingClientRect().top < window.innerHeight * 3
  if ('IntersectionObserver' in window) {
    const watch = new IntersectionObserver(async (entries) => {
      if (!entries.some((e) => e.isIntersecting)) return
      // A short page (or a tall screen) may still show the end after a load.
      while (near() && !link.textContent.startsWith(link.dataset.failed) && (await loadMore())) {
        await new Promise((resolve) => requestAnimationFrame(resolve))
      }
    }, { rootMargin: '200% 0px 200% 0px' })
    watch.observe(link)
  }
}
